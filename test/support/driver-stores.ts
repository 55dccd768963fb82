import Database from 'better-sqlite3';
import { createPool } from 'mysql2/promise';
import pg from 'pg';
import { MysqlLeafStore } from 'nest-leaf/mysql';
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
