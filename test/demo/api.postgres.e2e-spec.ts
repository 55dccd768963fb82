import { createTableSql } from 'nest-leaf/typeorm';
import {
  BEYOND_DOUBLE,
  describeDemoApi,
  describeGracefulShutdown,
  type ContractDatabase,
} from '../support/demo/api-contract.js';
import { freshPostgres, POSTGRES } from '../support/demo/postgres.js';

async function prepare(suite: string): Promise<ContractDatabase> {
  const db = await freshPostgres(suite);
  await db.query(createTableSql('postgres'));
  await db.query(
    `INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES ('order', $1, 1000, 'seeded'), ('shipment', 1, 100, 'seeded')`,
    [BEYOND_DOUBLE.toString()],
  );
  return {
    env: {
      DB_TYPE: 'postgres',
      DB_HOST: POSTGRES.host,
      DB_PORT: String(POSTGRES.port),
      DB_USER: POSTGRES.user,
      DB_PASSWORD: POSTGRES.password,
      DB_NAME: db.name,
    },
    query: (sql) => db.query<Record<string, unknown>>(sql),
    close: () => db.close(),
  };
}

describeDemoApi('PostgreSQL', () => prepare('demo_api'));
describeGracefulShutdown('PostgreSQL', () => prepare('demo_shutdown'));
