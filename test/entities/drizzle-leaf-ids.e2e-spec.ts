import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import Database from 'better-sqlite3';
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2';
import { bigint as mysqlBigint, int, mysqlTable } from 'drizzle-orm/mysql-core';
import { createPool } from 'mysql2';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { bigint, integer as pgInteger, pgTable } from 'drizzle-orm/pg-core';
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3';
import { customType, integer, sqliteTable } from 'drizzle-orm/sqlite-core';
import pg from 'pg';
import { leafIds, LeafUnavailableError } from 'nest-leaf';
import { LeafTestingModule } from 'nest-leaf/testing';
import { expectStrictlyIncreasing } from '../../harness/assertions.js';
import { mariadbDatabase, postgresDatabase, sqliteDatabase, type EngineDatabase } from '../support/engines.js';

// The schemas of docs/data-layers.md: the key's default is a synchronous take from memory.
const orders = pgTable('hooks_order', {
  id: bigint('id', { mode: 'bigint' })
    .primaryKey()
    .$defaultFn(() => leafIds.sync('order')),
  total: pgInteger('total').notNull(),
});

const mysqlOrders = mysqlTable('hooks_order', {
  id: mysqlBigint('id', { mode: 'bigint' })
    .primaryKey()
    .$defaultFn(() => leafIds.sync('order')),
  total: int('total').notNull(),
});

/** SQLite's INTEGER as a bigint (the connection reads integers as bigints: `defaultSafeIntegers()`). */
const sqliteBigint = customType<{ data: bigint; driverData: bigint }>({ dataType: () => 'integer' });
const sqliteOrders = sqliteTable('hooks_order', {
  id: sqliteBigint('id')
    .primaryKey()
    .$defaultFn(() => leafIds.sync('order')),
  total: integer('total').notNull(),
});

describe('Drizzle $defaultFn(() => leafIds.sync(tag))', () => {
  let moduleRef: TestingModule | undefined;
  const databases: EngineDatabase[] = [];

  beforeAll(async () => {
    expect(() => leafIds.sync('order')).toThrow(LeafUnavailableError); // no LeafModule started yet
    moduleRef = await Test.createTestingModule({
      imports: [LeafTestingModule.forRoot({ bizTags: ['order'] })],
    }).compile();
    await moduleRef.init();
  });

  afterAll(async () => {
    await moduleRef?.close();
    for (const database of databases) await database.dispose();
  });

  it('fills keys on SQLite (better-sqlite3), one insert and many, and keeps a given key', async () => {
    const database = await sqliteDatabase();
    databases.push(database);
    const client = new Database(database.options.database as string).defaultSafeIntegers();
    try {
      client.exec('CREATE TABLE hooks_order (id INTEGER PRIMARY KEY, total INTEGER NOT NULL)');
      const db = drizzleSqlite({ client });
      const [one] = db.insert(sqliteOrders).values({ total: 1 }).returning().all();
      const many = db
        .insert(sqliteOrders)
        .values([{ total: 2 }, { total: 3 }, { id: 9_000_000_000_000_000_000n, total: 4 }])
        .returning()
        .all();
      expect(typeof one.id).toBe('bigint');
      expectStrictlyIncreasing([one.id, ...many.map((row) => row.id)]);
      expect(many[2].id).toBe(9_000_000_000_000_000_000n);
      expect(db.select().from(sqliteOrders).all()).toHaveLength(4);
    } finally {
      client.close();
    }
  });

  it('fills keys on PostgreSQL (node-postgres), read back as bigints', async () => {
    const database = await postgresDatabase('hooks_drizzle');
    const o = database.options as { host: string; port: number; username: string; database: string };
    const pool = new pg.Pool({ host: o.host, port: o.port, user: o.username, database: o.database });
    try {
      await pool.query('CREATE TABLE hooks_order (id BIGINT PRIMARY KEY, total INT NOT NULL)');
      const db = drizzlePg({ client: pool });
      const inserted = await db
        .insert(orders)
        .values([{ total: 1 }, { total: 2 }])
        .returning();
      expectStrictlyIncreasing(inserted.map((row) => row.id));
      const read = await db.select().from(orders);
      expect(read.map((row) => typeof row.id)).toEqual(['bigint', 'bigint']);
    } finally {
      await pool.end();
    }
  });

  it('fills keys on MariaDB (mysql2), read back as bigints', async () => {
    const database = await mariadbDatabase('hooks_drizzle');
    const o = database.options as { host: string; port: number; username: string; password: string; database: string };
    // BIGINT as exact strings; Drizzle's bigint mode turns them into bigints.
    const pool = createPool({
      host: o.host,
      port: o.port,
      user: o.username,
      password: o.password,
      database: o.database,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    try {
      const db = drizzleMysql({ client: pool });
      await db.execute('CREATE TABLE hooks_order (id BIGINT PRIMARY KEY, total INT NOT NULL)');
      await db.insert(mysqlOrders).values([{ total: 1 }, { total: 2 }, { id: 9_000_000_000_000_000_000n, total: 3 }]);
      const read = await db.select().from(mysqlOrders).orderBy(mysqlOrders.total);
      expect(read.map((row) => typeof row.id)).toEqual(['bigint', 'bigint', 'bigint']);
      expectStrictlyIncreasing(read.map((row) => row.id));
      expect(read[2].id).toBe(9_000_000_000_000_000_000n);
    } finally {
      await new Promise((resolve) => pool.end(resolve));
    }
  });
});
