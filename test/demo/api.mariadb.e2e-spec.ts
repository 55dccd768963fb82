import {
  BEYOND_DOUBLE,
  describeDemoApi,
  describeGracefulShutdown,
  type ContractDatabase,
} from '../support/demo/api-contract.js';
import { freshDatabase, mysqlDemoEnv } from '../../harness/mariadb.js';

/** A database of its own in which leaf_alloc was created by Meituan Leaf's script, as an existing Leaf install has it. */
async function prepare(suite: string): Promise<ContractDatabase> {
  const db = await freshDatabase(suite);
  await db.query(
    `INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES ('order', ?, 1000, 'seeded'), ('shipment', 1, 100, 'seeded')`,
    [BEYOND_DOUBLE.toString()],
  );
  return {
    env: {
      ...mysqlDemoEnv(db.name),
    },
    query: (sql) => db.query<Array<Record<string, unknown>>>(sql),
    close: () => db.close(),
  };
}

describeDemoApi('MariaDB', () => prepare('demo_api'));
describeGracefulShutdown('MariaDB', () => prepare('demo_shutdown'));
