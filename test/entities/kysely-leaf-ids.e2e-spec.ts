import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import Database from 'better-sqlite3';
import { createPool } from 'mysql2';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql, type Dialect, type Generated } from 'kysely';
import pg from 'pg';
import { IdGenerator, LeafUnavailableError } from 'nest-leaf';
import { LeafIdPlugin } from 'nest-leaf/kysely';
import { LeafTestingModule } from 'nest-leaf/testing';
import { expectStrictlyIncreasing } from '../../harness/assertions.js';
import { mariadbDatabase, postgresDatabase, sqliteDatabase, type EngineDatabase } from '../support/engines.js';

/** A key the plugin fills is `Generated` for Kysely's types, as an auto-increment column would be. */
interface DB {
  hooks_order: { id: Generated<bigint>; total: number };
  hooks_note: { id: Generated<number>; text: string };
  hooks_cold: { id: Generated<bigint> };
}

const engines: Array<[string, () => Promise<{ database: EngineDatabase; dialect: Dialect; serial: string }>]> = [
  [
    'SQLite',
    async () => {
      const database = await sqliteDatabase();
      // Integers read as bigints, so a key past 2^53 comes back exact.
      const client = new Database(database.options.database as string).defaultSafeIntegers();
      return {
        database,
        dialect: new SqliteDialect({ database: client }),
        serial: 'INTEGER PRIMARY KEY AUTOINCREMENT',
      };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const database = await postgresDatabase('hooks_kysely');
      const o = database.options as { host: string; port: number; username: string; database: string };
      // BIGINT (oid 20) read as a bigint on this pool only, rather than pg's default string.
      const types = {
        getTypeParser: (oid: number, format?: 'text') => (oid === 20 ? BigInt : pg.types.getTypeParser(oid, format)),
      };
      const pool = new pg.Pool({
        host: o.host,
        port: o.port,
        user: o.username,
        database: o.database,
        types: types as never,
      });
      return { database, dialect: new PostgresDialect({ pool }), serial: 'SERIAL PRIMARY KEY' };
    },
  ],
  [
    'MariaDB',
    async () => {
      const database = await mariadbDatabase('hooks_kysely');
      const o = database.options as {
        host: string;
        port: number;
        username: string;
        password: string;
        database: string;
      };
      // BIGINT read as a bigint: mysql2 gives a string (or a lossy number) otherwise.
      const pool = createPool({
        host: o.host,
        port: o.port,
        user: o.username,
        password: o.password,
        database: o.database,
        supportBigNumbers: true,
        bigNumberStrings: true,
        typeCast: (field, next) => {
          if (field.type !== 'LONGLONG') return next();
          const text = field.string();
          return text === null ? null : BigInt(text);
        },
      });
      return { database, dialect: new MysqlDialect({ pool }), serial: 'INT AUTO_INCREMENT PRIMARY KEY' };
    },
  ],
];

describe.each(engines)('LeafIdPlugin on %s', (_name, create) => {
  let database: EngineDatabase;
  let moduleRef: TestingModule;
  let db: Kysely<DB>;
  let nextIdsSync: jest.SpiedFunction<IdGenerator['nextIdsSync']>;

  beforeAll(async () => {
    const engine = await create();
    database = engine.database;
    moduleRef = await Test.createTestingModule({
      imports: [LeafTestingModule.forRoot({ bizTags: ['order'] })],
    }).compile();
    await moduleRef.init();
    const ids = moduleRef.get(IdGenerator);
    nextIdsSync = jest.spyOn(ids, 'nextIdsSync');
    db = new Kysely<DB>({
      dialect: engine.dialect,
      plugins: [new LeafIdPlugin(ids, { hooks_order: 'order', hooks_cold: 'not_loaded_yet' })],
    });
    await sql`CREATE TABLE hooks_order (id BIGINT PRIMARY KEY, total INT NOT NULL)`.execute(db);
    await sql.raw(`CREATE TABLE hooks_note (id ${engine.serial}, text TEXT NOT NULL)`).execute(db);
    await sql`CREATE TABLE hooks_cold (id BIGINT PRIMARY KEY)`.execute(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await moduleRef?.close();
    await database?.dispose();
  });

  beforeEach(() => {
    nextIdsSync.mockClear();
  });

  it('fills the key of a row that leaves it out', async () => {
    await db.insertInto('hooks_order').values({ total: 1 }).execute();
    const row = await db.selectFrom('hooks_order').selectAll().where('total', '=', 1).executeTakeFirstOrThrow();
    expect(typeof row.id).toBe('bigint');
    expect(nextIdsSync.mock.calls).toEqual([['order', 1]]);
  });

  it('takes one nextIdsSync for the rows of a statement that lack a key, and keeps the keys given', async () => {
    await db
      .insertInto('hooks_order')
      .values([{ total: 2 }, { id: 9_000_000_000_000_000_000n, total: 3 }, { total: 4 }])
      .execute();
    const rows = await db.selectFrom('hooks_order').selectAll().where('total', '>=', 2).orderBy('total').execute();
    expect(nextIdsSync.mock.calls).toEqual([['order', 2]]);
    expect(rows.map((row) => row.id)[1]).toBe(9_000_000_000_000_000_000n);
    expectStrictlyIncreasing([rows[0].id, rows[2].id]);
  });

  it('leaves a table that is not listed to its own key', async () => {
    await db.insertInto('hooks_note').values({ text: 'hi' }).execute();
    const note = await db.selectFrom('hooks_note').selectAll().executeTakeFirstOrThrow();
    expect(Number(note.id)).toBe(1);
    expect(nextIdsSync).not.toHaveBeenCalled();
  });

  it('fails the statement at once when the tag has no ID in memory, and inserts nothing', async () => {
    await expect(db.insertInto('hooks_cold').values({}).execute()).rejects.toBeInstanceOf(LeafUnavailableError);
    expect(await db.selectFrom('hooks_cold').selectAll().execute()).toEqual([]);
  });
});
