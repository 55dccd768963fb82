import { createTableSql } from 'nest-leaf/typeorm';
import {
  BEYOND_DOUBLE,
  describeDemoApi,
  describeGracefulShutdown,
  type ContractDatabase,
} from '../support/demo/api-contract.js';
import { tempSqlite } from '../support/demo/sqlite.js';

async function prepare(suite: string, env: Record<string, string> = {}): Promise<ContractDatabase> {
  const file = tempSqlite(suite);
  file.exec(createTableSql('better-sqlite3'));
  file.exec(
    `INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES ('order', ${BEYOND_DOUBLE}, 1000, 'seeded'), ('shipment', 1, 100, 'seeded')`,
  );
  return {
    env: { DB_TYPE: 'sqlite', SQLITE_PATH: file.path, ...env },
    query: async (sql) => file.exec<Record<string, unknown>>(sql),
    close: async () => file.remove(),
  };
}

describeDemoApi('SQLite', () => prepare('api'));
describeGracefulShutdown('SQLite', () => prepare('shutdown'));
// The demo runs on Fastify by default; Express, which it also supports, answers the same contract.
describeDemoApi('SQLite on Express', () => prepare('api_express', { HTTP_PLATFORM: 'express' }));
describeGracefulShutdown('SQLite on Express', () => prepare('shutdown_express', { HTTP_PLATFORM: 'express' }));
