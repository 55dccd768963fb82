import mysql from 'mysql2/promise';
import { createTableSql } from '@app/leaf';

/** Where the bench finds MariaDB/MySQL; the defaults match the project's machines. */
export const MYSQL = {
  host: process.env.LEAF_BENCH_MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.LEAF_BENCH_MYSQL_PORT ?? 3306),
  user: process.env.LEAF_BENCH_MYSQL_USER ?? 'root',
  password: process.env.LEAF_BENCH_MYSQL_PASSWORD ?? '',
};

export const BENCH_DATABASE = 'leaf_bench';

/** TypeORM options for the bench's database. */
export function benchDataSourceOptions() {
  return {
    type: 'mysql' as const,
    host: MYSQL.host,
    port: MYSQL.port,
    username: MYSQL.user,
    password: MYSQL.password,
    database: BENCH_DATABASE,
  };
}

/**
 * Drops and recreates the bench's own database with the library's `leaf_alloc` DDL, so every run starts
 * from the same empty table whatever an earlier run left behind.
 */
export async function freshBenchDatabase(): Promise<void> {
  let admin: mysql.Connection;
  try {
    admin = await mysql.createConnection({ ...MYSQL });
  } catch (error) {
    throw new Error(
      `Cannot reach MariaDB/MySQL at ${MYSQL.host}:${MYSQL.port} as ${MYSQL.user} (${String(error)}). ` +
        'Start it, or point LEAF_BENCH_MYSQL_HOST/PORT/USER/PASSWORD at one.',
      { cause: error },
    );
  }
  try {
    await admin.query(`DROP DATABASE IF EXISTS \`${BENCH_DATABASE}\``);
    await admin.query(`CREATE DATABASE \`${BENCH_DATABASE}\``);
    await admin.query(`USE \`${BENCH_DATABASE}\``);
    await admin.query(createTableSql('mysql'));
  } finally {
    await admin.end();
  }
}

export async function serverVersion(): Promise<string> {
  const conn = await mysql.createConnection({ ...MYSQL });
  try {
    const [rows] = await conn.query('SELECT VERSION() AS v');
    return (rows as Array<{ v: string }>)[0].v;
  } finally {
    await conn.end();
  }
}
