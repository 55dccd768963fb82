import type { MigrationInterface, QueryRunner } from 'typeorm';
import { engineOf, type Engine } from './demo-tables.migration.js';

/**
 * The `invoices` table, per engine: a migration of its own rather than a change to `DemoTablesMigration`, which
 * databases of earlier runs have recorded as done and would never run again. As in the other tables the primary key
 * is a plain BIGINT filled from a Leaf ID (tag `invoice_id`); `number` holds a code of the daily tag `invoice`,
 * `INV-yyyyMMdd-` and up to 19 digits (32 characters), unique like the IDs.
 */
const TABLES: Record<Engine, string> = {
  mysql: `CREATE TABLE IF NOT EXISTS invoices (
  id bigint NOT NULL,
  number varchar(32) NOT NULL,
  order_id bigint NOT NULL,
  created_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uq_invoices_number (number),
  CONSTRAINT fk_invoices_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB`,
  postgres: `CREATE TABLE IF NOT EXISTS invoices (
  id bigint NOT NULL PRIMARY KEY,
  number varchar(32) NOT NULL,
  order_id bigint NOT NULL,
  created_at timestamp NOT NULL DEFAULT now(),
  CONSTRAINT uq_invoices_number UNIQUE (number),
  CONSTRAINT fk_invoices_order FOREIGN KEY (order_id) REFERENCES orders (id)
)`,
  sqlite: `CREATE TABLE IF NOT EXISTS invoices (
  id bigint NOT NULL PRIMARY KEY,
  number varchar(32) NOT NULL,
  order_id bigint NOT NULL,
  created_at datetime NOT NULL DEFAULT (datetime('now')),
  CONSTRAINT uq_invoices_number UNIQUE (number),
  CONSTRAINT fk_invoices_order FOREIGN KEY (order_id) REFERENCES orders (id)
)`,
};

/** An index for "the invoices of an order" (MySQL makes one for the foreign key by itself, the others do not). */
const ORDER_INDEX: Record<Engine, string | null> = {
  mysql: null,
  postgres: 'CREATE INDEX IF NOT EXISTS ix_invoices_order_id ON invoices (order_id)',
  sqlite: 'CREATE INDEX IF NOT EXISTS ix_invoices_order_id ON invoices (order_id)',
};

/** Creates the demo's `invoices` table on MySQL/MariaDB, PostgreSQL or SQLite. */
export class DemoInvoicesMigration1764547200000 implements MigrationInterface {
  name = 'DemoInvoicesMigration1764547200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const engine = engineOf(queryRunner);
    await queryRunner.query(TABLES[engine]);
    const index = ORDER_INDEX[engine];
    if (index !== null) await queryRunner.query(index);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS invoices');
  }
}

export { DemoInvoicesMigration1764547200000 as DemoInvoicesMigration };
