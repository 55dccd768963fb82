import mysql from 'mysql2/promise';

/** Where the integration tests find MariaDB/MySQL; defaults match the CI machine. */
export const MYSQL = {
  host: process.env.LEAF_TEST_MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.LEAF_TEST_MYSQL_PORT ?? 3306),
  user: process.env.LEAF_TEST_MYSQL_USER ?? 'root',
  password: process.env.LEAF_TEST_MYSQL_PASSWORD ?? '',
};

/** TypeORM options for a database on the test server. */
export function mysqlDataSourceOptions(database: string) {
  return {
    type: 'mysql' as const,
    host: MYSQL.host,
    port: MYSQL.port,
    username: MYSQL.user,
    password: MYSQL.password,
    database,
  };
}

/** The demo's DB_* environment for a database on the test server. */
export function mysqlDemoEnv(database: string): Record<string, string> {
  return {
    DB_TYPE: 'mysql',
    DB_HOST: MYSQL.host,
    DB_PORT: String(MYSQL.port),
    DB_USER: MYSQL.user,
    DB_PASSWORD: MYSQL.password,
    DB_NAME: database,
  };
}

/** Meituan Leaf's own DDL, verbatim in shape, to prove the library works on a table it did not create. */
export const LEAF_SCRIPT_DDL = `CREATE TABLE leaf_alloc (
  biz_tag varchar(128) NOT NULL DEFAULT '',
  max_id bigint(20) NOT NULL DEFAULT '1',
  step int(11) NOT NULL,
  description varchar(256) DEFAULT NULL,
  update_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (biz_tag)
) ENGINE=InnoDB`;

export interface TestDatabase {
  readonly name: string;
  /** Runs SQL in the suite's database. */
  query<T = unknown>(sql: string, params?: unknown[]): Promise<T>;
  /** `max_id` of a tag, exactly. */
  maxId(tag: string): Promise<bigint | undefined>;
  close(): Promise<void>;
}

/**
 * A database of the suite's own, dropped and created anew, with `leaf_alloc` created by Leaf's script
 * unless `withTable` is false.
 */
export async function freshDatabase(suite: string, { withTable = true } = {}): Promise<TestDatabase> {
  const name = `leaf_test_${suite.replace(/[^a-z0-9_]/gi, '_')}`.slice(0, 64);
  const admin = await mysql.createConnection({ ...MYSQL });
  await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.query(`CREATE DATABASE \`${name}\``);
  await admin.end();
  const pool = mysql.createPool({ ...MYSQL, database: name, connectionLimit: 4, supportBigNumbers: true, bigNumberStrings: true });
  if (withTable) await pool.query(LEAF_SCRIPT_DDL);
  return {
    name,
    async query<T>(sql: string, params: unknown[] = []) {
      const [result] = await pool.query(sql, params);
      return result as T;
    },
    async maxId(tag: string) {
      const [rows] = await pool.query('SELECT CAST(max_id AS CHAR) AS m FROM leaf_alloc WHERE biz_tag = ?', [tag]);
      const row = (rows as Array<{ m: string }>)[0];
      return row ? BigInt(row.m) : undefined;
    },
    close: () => pool.end(),
  };
}
