import mysql from 'mysql2/promise';
import { createTableSql } from 'nest-leaf';

/** Where the bench finds MariaDB/MySQL; the defaults match the project's machines. */
export const MYSQL = {
  host: process.env.LEAF_BENCH_MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.LEAF_BENCH_MYSQL_PORT ?? 3306),
  user: process.env.LEAF_BENCH_MYSQL_USER ?? 'root',
  password: process.env.LEAF_BENCH_MYSQL_PASSWORD ?? '',
};

/** A host and port to reach the server at: MariaDB itself, or the fault proxy in front of it. */
export interface Server {
  readonly host: string;
  readonly port: number;
}

/**
 * Every database of one run is named `leaf_bench_<run>_<purpose>`, so a run never touches the tests'
 * databases (`leaf_test_*`), the demo's, or those of another bench run on the same server. The run id is
 * the process id, in base 36; child processes receive the full database name, not the id.
 */
export const RUN_ID = process.pid.toString(36);

export function benchDatabaseName(purpose: string): string {
  return `leaf_bench_${RUN_ID}_${purpose}`.slice(0, 64);
}

/** TypeORM options for a bench database, reached directly or through a proxy. */
export function benchDataSourceOptions(database: string, server: Server = MYSQL) {
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
 * mysql2 options for the bench's own connections (the baselines), reached directly or through a proxy.
 * `trace: false`: mysql2/promise otherwise captures a stack trace on every query, which on this 2-core
 * machine made the client, not MariaDB, a limit of the per-ID baselines. Baselines get the cheapest client.
 */
export function benchMysqlOptions(database: string, server: Server = MYSQL) {
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

async function admin(): Promise<mysql.Connection> {
  try {
    return await mysql.createConnection({ ...MYSQL });
  } catch (error) {
    throw new Error(
      `Cannot reach MariaDB/MySQL at ${MYSQL.host}:${MYSQL.port} as ${MYSQL.user} (${String(error)}). ` +
        'Start it, or point LEAF_BENCH_MYSQL_HOST/PORT/USER/PASSWORD at one.',
      { cause: error },
    );
  }
}

/** Databases created by this run, dropped by `dropBenchDatabases()` at the end. */
const created = new Set<string>();

/**
 * A database of this run's own for `purpose`, dropped and created anew, with `leaf_alloc` created by the
 * library's `createTableSql('mysql')` unless `withTable` is false. Returns its name.
 */
export async function freshBenchDatabase(purpose: string, { withTable = true } = {}): Promise<string> {
  const name = benchDatabaseName(purpose);
  const conn = await admin();
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await conn.query(`CREATE DATABASE \`${name}\``);
    created.add(name);
    if (withTable) {
      await conn.query(`USE \`${name}\``);
      await conn.query(createTableSql('mysql'));
    }
  } finally {
    await conn.end();
  }
  return name;
}

/** Drops every database this run created (called in a `finally`, so a failed run cleans up too). */
export async function dropBenchDatabases(): Promise<void> {
  if (created.size === 0) return;
  const conn = await admin();
  try {
    for (const name of created) await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    created.clear();
  } finally {
    await conn.end();
  }
}

export async function serverVersion(): Promise<string> {
  const conn = await admin();
  try {
    const [rows] = await conn.query('SELECT VERSION() AS v');
    return (rows as Array<{ v: string }>)[0].v;
  } finally {
    await conn.end();
  }
}
