import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The engines the demo's migrations are written for, by TypeORM driver (see `engineOf`). */
export type Engine = 'mysql' | 'postgres' | 'sqlite';

/**
 * The demo's own tables, per engine. The primary keys are plain BIGINT columns filled from Leaf IDs: never
 * AUTO_INCREMENT, SERIAL or SQLite's rowid alias (which only `INTEGER PRIMARY KEY`, spelled so, would become).
 */
const TABLES: Record<Engine, readonly string[]> = {
  mysql: [
    `CREATE TABLE IF NOT EXISTS orders (
  id bigint NOT NULL,
  customer varchar(100) NOT NULL,
  amount_cents int NOT NULL,
  currency varchar(3) NOT NULL,
  created_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id)
) ENGINE=InnoDB`,
    `CREATE TABLE IF NOT EXISTS users (
  id bigint NOT NULL,
  name varchar(100) NOT NULL,
  email varchar(254) NOT NULL,
  created_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uq_users_email (email)
) ENGINE=InnoDB`,
  ],
  postgres: [
    `CREATE TABLE IF NOT EXISTS orders (
  id bigint NOT NULL PRIMARY KEY,
  customer varchar(100) NOT NULL,
  amount_cents integer NOT NULL,
  currency varchar(3) NOT NULL,
  created_at timestamp NOT NULL DEFAULT now()
)`,
    `CREATE TABLE IF NOT EXISTS users (
  id bigint NOT NULL PRIMARY KEY,
  name varchar(100) NOT NULL,
  email varchar(254) NOT NULL,
  created_at timestamp NOT NULL DEFAULT now(),
  CONSTRAINT uq_users_email UNIQUE (email)
)`,
  ],
  sqlite: [
    `CREATE TABLE IF NOT EXISTS orders (
  id bigint NOT NULL PRIMARY KEY,
  customer varchar(100) NOT NULL,
  amount_cents integer NOT NULL,
  currency varchar(3) NOT NULL,
  created_at datetime NOT NULL DEFAULT (datetime('now'))
)`,
    `CREATE TABLE IF NOT EXISTS users (
  id bigint NOT NULL PRIMARY KEY,
  name varchar(100) NOT NULL,
  email varchar(254) NOT NULL,
  created_at datetime NOT NULL DEFAULT (datetime('now')),
  CONSTRAINT uq_users_email UNIQUE (email)
)`,
  ],
};

/** Creates the demo's `orders` and `users` tables on MySQL/MariaDB, PostgreSQL or SQLite. */
export class DemoTablesMigration1732233600000 implements MigrationInterface {
  name = 'DemoTablesMigration1732233600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of TABLES[engineOf(queryRunner)]) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS users');
    await queryRunner.query('DROP TABLE IF EXISTS orders');
  }
}

/** The engine behind a query runner; throws for a TypeORM driver the demo has no migration for. */
export function engineOf(queryRunner: QueryRunner): Engine {
  const type = String(queryRunner.connection.options.type);
  switch (type) {
    case 'mysql':
    case 'mariadb':
      return 'mysql';
    case 'postgres':
      return 'postgres';
    case 'better-sqlite3':
    case 'sqljs':
      return 'sqlite';
    default:
      throw new Error(
        `The demo has no migration for the TypeORM driver "${type}"; use mysql, postgres or better-sqlite3.`,
      );
  }
}

export { DemoTablesMigration1732233600000 as DemoTablesMigration };
