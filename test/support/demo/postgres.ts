import pg from 'pg';

/** Where the PostgreSQL suites find a server; defaults match this project's machines. */
export const POSTGRES = {
  host: process.env.LEAF_TEST_PG_HOST ?? '127.0.0.1',
  port: Number(process.env.LEAF_TEST_PG_PORT ?? 5432),
  user: process.env.LEAF_TEST_PG_USER ?? 'postgres',
  password: process.env.LEAF_TEST_PG_PASSWORD ?? '',
};

export interface PostgresDatabase {
  readonly name: string;
  query<T = unknown>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** A PostgreSQL database of the suite's own, dropped and created anew, empty. */
export async function freshPostgres(suite: string): Promise<PostgresDatabase> {
  const name = `leaf_test_${suite.replace(/[^a-z0-9_]/gi, '_')}`.toLowerCase().slice(0, 63);
  const admin = new pg.Client({ ...POSTGRES, database: 'postgres' });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${POSTGRES.host}:${POSTGRES.port} as ${POSTGRES.user} (${String(error)}). ` +
        'Start it (.ci/run does), or point LEAF_TEST_PG_HOST/PORT/USER/PASSWORD at one.',
      { cause: error },
    );
  }
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const pool = new pg.Pool({ ...POSTGRES, database: name, max: 2 });
  return {
    name,
    async query<T>(sql: string, params: unknown[] = []) {
      return (await pool.query(sql, params)).rows as T[];
    },
    close: () => pool.end(),
  };
}
