import Database from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, sql, SqliteDialect, type Dialect } from 'kysely';
import { createPool as createCallbackPool } from 'mysql2';
import { createPool } from 'mysql2/promise';
import pg from 'pg';
import { MysqlLeafStore } from 'nest-leaf/mysql';
import { KyselyLeafStore } from 'nest-leaf/kysely';
import { createTableSql, PgLeafStore } from 'nest-leaf/pg';
import { SqliteLeafStore } from 'nest-leaf/sqlite';
import type { LeafStoreUnderTest } from 'nest-leaf/testing';
import { mariadbDatabase, postgresDatabase, sqliteDatabase } from './engines.js';

// The plain-driver stores on a database of the suite's own, `leaf_alloc` created from `createTableSql` as a user
// without an ORM would: the drivers' pools as an application makes them.

export async function pgStoreOn(suite: string): Promise<LeafStoreUnderTest & { readonly pool: pg.Pool }> {
  const { options } = await postgresDatabase(suite);
  const { host, port, username: user, password, database } = options as unknown as Record<string, string & number>;
  const pool = new pg.Pool({ host, port, user, password, database });
  await pool.query(createTableSql('postgres'));
  return { store: new PgLeafStore(pool), pool, close: () => pool.end() };
}

export async function mysqlStoreOn(suite: string): Promise<LeafStoreUnderTest> {
  const { options } = await mariadbDatabase(suite);
  const { host, port, username: user, password, database } = options as unknown as Record<string, string & number>;
  const pool = createPool({ host, port, user, password, database, supportBigNumbers: true, bigNumberStrings: true });
  await pool.query(createTableSql('mysql'));
  return { store: new MysqlLeafStore(pool), close: () => pool.end() };
}

export async function sqliteStoreOn(): Promise<LeafStoreUnderTest> {
  const file = await sqliteDatabase();
  const db = new Database(String(file.options.database));
  db.exec(createTableSql('sqlite'));
  return {
    store: new SqliteLeafStore(db),
    close: async () => {
      db.close();
      await file.dispose();
    },
  };
}

/** `KyselyLeafStore` on the dialect of each engine, over the same drivers' pools. */
export async function kyselyStoreOn(
  engine: 'postgres' | 'mariadb' | 'sqlite',
  suite: string,
): Promise<LeafStoreUnderTest> {
  let dialect: Dialect;
  let dispose = async () => undefined as void;
  if (engine === 'sqlite') {
    const file = await sqliteDatabase();
    dialect = new SqliteDialect({ database: new Database(String(file.options.database)) });
    dispose = () => file.dispose();
  } else if (engine === 'postgres') {
    const { options } = await postgresDatabase(suite);
    const { host, port, username: user, password, database } = options as unknown as Record<string, string & number>;
    dialect = new PostgresDialect({ pool: new pg.Pool({ host, port, user, password, database }) });
  } else {
    const { options } = await mariadbDatabase(suite);
    const { host, port, username: user, password, database } = options as unknown as Record<string, string & number>;
    const pool = createCallbackPool({
      host,
      port,
      user,
      password,
      database,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    dialect = new MysqlDialect({ pool });
  }
  const db = new Kysely<unknown>({ dialect });
  await sql.raw(createTableSql(engine === 'mariadb' ? 'mysql' : engine)).execute(db);
  return {
    store: new KyselyLeafStore(db, { engine: engine === 'mariadb' ? 'mysql' : engine }),
    close: async () => {
      await db.destroy();
      await dispose();
    },
  };
}
