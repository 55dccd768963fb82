import mysql from 'mysql2/promise';

/** Reads LEAF_TEST_MYSQL_<name>, then the bench's former LEAF_BENCH_MYSQL_<name>. */
const setting = (name: string): string | undefined =>
  process.env[`LEAF_TEST_MYSQL_${name}`] ?? process.env[`LEAF_BENCH_MYSQL_${name}`];

/**
 * Where the tests and the bench find MariaDB/MySQL: LEAF_TEST_MYSQL_HOST, _PORT, _USER, _PASSWORD (the bench's
 * former LEAF_BENCH_MYSQL_* are still read when those are unset). The defaults match the project's machines.
 */
export const MYSQL = {
  host: setting('HOST') ?? '127.0.0.1',
  port: Number(setting('PORT') ?? 3306),
  user: setting('USER') ?? 'root',
  password: setting('PASSWORD') ?? '',
};

/** A host and port to reach the server at: MariaDB itself, or a fault proxy in front of it. */
export interface Server {
  readonly host: string;
  readonly port: number;
}

/** TypeORM options for a database, reached directly or through a proxy. */
export function mysqlDataSourceOptions(database: string, server: Server = MYSQL) {
  return {
    type: 'mysql' as const,
    host: server.host,
    port: server.port,
    username: MYSQL.user,
    password: MYSQL.password,
    database,
    // BIGINT as exact strings, as the library expects (TypeORM's default for mysql2, stated here).
    supportBigNumbers: true,
    bigNumberStrings: true,
  };
}

/**
 * mysql2 options for a harness's own connections (the bench's baselines), reached directly or through a proxy.
 * `trace: false`: mysql2/promise otherwise captures a stack trace on every query, which on this 2-core
 * machine made the client, not MariaDB, a limit of the per-ID baselines. Baselines get the cheapest client.
 */
export function mysqlClientOptions(database: string, server: Server = MYSQL) {
  return {
    ...MYSQL,
    host: server.host,
    port: server.port,
    database,
    supportBigNumbers: true,
    bigNumberStrings: true,
    trace: false,
  };
}

/** The demo's DB_* environment for a database on the server. */
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

/** A connection as the configured user, with no database selected; says how to point elsewhere when it fails. */
export async function adminConnection(): Promise<mysql.Connection> {
  try {
    return await mysql.createConnection({ ...MYSQL });
  } catch (error) {
    throw new Error(
      `Cannot reach MariaDB/MySQL at ${MYSQL.host}:${MYSQL.port} as ${MYSQL.user} (${String(error)}). ` +
        'Start it, or point LEAF_TEST_MYSQL_HOST/PORT/USER/PASSWORD at one.',
      { cause: error },
    );
  }
}

/** Drops `name` if it exists and creates it anew, then runs `ddl` (a CREATE TABLE) in it, if given. */
export async function recreateDatabase(name: string, ddl?: string): Promise<void> {
  const conn = await adminConnection();
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await conn.query(`CREATE DATABASE \`${name}\``);
    if (ddl !== undefined) {
      await conn.query(`USE \`${name}\``);
      await conn.query(ddl);
    }
  } finally {
    await conn.end();
  }
}

export async function dropDatabases(names: Iterable<string>): Promise<void> {
  const conn = await adminConnection();
  try {
    for (const name of names) await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await conn.end();
  }
}

export async function serverVersion(): Promise<string> {
  const conn = await adminConnection();
  try {
    const [rows] = await conn.query('SELECT VERSION() AS v');
    return (rows as Array<{ v: string }>)[0].v;
  } finally {
    await conn.end();
  }
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
 * A test suite's database, `leaf_test_<suite>`, dropped and created anew, with `leaf_alloc` created by Leaf's
 * script unless `withTable` is false. (The bench names its databases `leaf_bench_<run>_<purpose>`, so the two
 * never meet.)
 */
export async function freshDatabase(suite: string, { withTable = true } = {}): Promise<TestDatabase> {
  const name = `leaf_test_${suite.replace(/[^a-z0-9_]/gi, '_')}`.slice(0, 64);
  await recreateDatabase(name, withTable ? LEAF_SCRIPT_DDL : undefined);
  const pool = mysql.createPool({
    ...MYSQL,
    database: name,
    connectionLimit: 4,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
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
