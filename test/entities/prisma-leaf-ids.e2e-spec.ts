import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { join } from 'node:path';
import { Test, type TestingModule } from '@nestjs/testing';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaPg } from '@prisma/adapter-pg';
import { IdGenerator, InvalidArgumentError } from 'nest-leaf';
import { withLeafIds } from 'nest-leaf/prisma';
import { LeafTestingModule } from 'nest-leaf/testing';
import { expectStrictlyIncreasing, expectUnique } from '../../harness/assertions.js';
import { mariadbDatabase, postgresDatabase, sqliteDatabase, type EngineDatabase } from '../support/engines.js';
import { generatePrismaClient, type PrismaProvider } from '../support/prisma-client.js';

const MODELS = `
model Order {
  id    BigInt @id
  total Int
  @@map("hooks_order")
}
model Note {
  id   Int    @id @default(autoincrement())
  text String
  @@map("hooks_note")
}`;

interface Engine {
  readonly provider: PrismaProvider;
  create(): Promise<EngineDatabase>;
  adapter(options: Record<string, unknown>): unknown;
  readonly tables: readonly string[];
}

const engines: Array<[string, Engine]> = [
  [
    'SQLite',
    {
      provider: 'sqlite',
      create: sqliteDatabase,
      adapter: (o) => new PrismaBetterSqlite3({ url: `file:${o.database as string}` }),
      tables: [
        'CREATE TABLE hooks_order (id BIGINT PRIMARY KEY, total INTEGER NOT NULL)',
        'CREATE TABLE hooks_note (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL)',
      ],
    },
  ],
  [
    'PostgreSQL',
    {
      provider: 'postgresql',
      create: () => postgresDatabase('hooks_prisma'),
      adapter: (o) => new PrismaPg({ host: o.host, port: o.port, user: o.username, database: o.database } as never),
      tables: [
        'CREATE TABLE hooks_order (id BIGINT PRIMARY KEY, total INT NOT NULL)',
        'CREATE TABLE hooks_note (id SERIAL PRIMARY KEY, text TEXT NOT NULL)',
      ],
    },
  ],
  [
    'MariaDB',
    {
      provider: 'mysql',
      create: () => mariadbDatabase('hooks_prisma'),
      adapter: (o) =>
        new PrismaMariaDb({
          host: o.host,
          port: o.port,
          user: o.username,
          password: o.password,
          database: o.database,
        } as never),
      tables: [
        'CREATE TABLE hooks_order (id BIGINT PRIMARY KEY, total INT NOT NULL)',
        'CREATE TABLE hooks_note (id INT AUTO_INCREMENT PRIMARY KEY, text VARCHAR(200) NOT NULL)',
      ],
    },
  ],
];

interface OrderRow {
  id: bigint;
  total: number;
}
/** The part of the generated client the spec uses (the generated types are per engine, in an ignored folder). */
interface Client {
  order: {
    create(args: { data: Partial<OrderRow> }): Promise<OrderRow>;
    createMany(args: { data: Array<Partial<OrderRow>> }): Promise<{ count: number }>;
    createManyAndReturn(args: { data: Array<Partial<OrderRow>> }): Promise<OrderRow[]>;
    upsert(args: { where: { id: bigint }; create: Partial<OrderRow>; update: Partial<OrderRow> }): Promise<OrderRow>;
    findMany(args?: { where?: { total?: number | { gte: number } } }): Promise<OrderRow[]>;
    findUniqueOrThrow(args: { where: { id: bigint } }): Promise<OrderRow>;
  };
  note: { create(args: { data: { text: string } }): Promise<{ id: number }> };
  $executeRawUnsafe(sql: string): Promise<number>;
  $extends(extension: unknown): Client;
  $disconnect(): Promise<void>;
}

describe.each(engines)('withLeafIds on %s', (_name, engine) => {
  let database: EngineDatabase;
  let moduleRef: TestingModule;
  let base: Client;
  let prisma: Client;
  let nextIds: jest.SpiedFunction<IdGenerator['nextIds']>;

  beforeAll(async () => {
    database = await engine.create();
    const folder = generatePrismaClient(`hooks-${engine.provider}`, engine.provider, MODELS);
    const { PrismaClient } = (await import(join(folder, 'client.ts'))) as {
      PrismaClient: new (options: { adapter: unknown }) => Client;
    };
    base = new PrismaClient({ adapter: engine.adapter(database.options as unknown as Record<string, unknown>) });
    for (const sql of engine.tables) await base.$executeRawUnsafe(sql);
    moduleRef = await Test.createTestingModule({
      imports: [LeafTestingModule.forRoot({ bizTags: ['order'] })],
    }).compile();
    await moduleRef.init();
    const ids = moduleRef.get(IdGenerator);
    nextIds = jest.spyOn(ids, 'nextIds');
    prisma = base.$extends(withLeafIds(ids, { Order: 'order' }));
  });

  afterAll(async () => {
    await base?.$disconnect();
    await moduleRef?.close();
    await database?.dispose();
  });

  beforeEach(() => {
    nextIds.mockClear();
  });

  it('fills the key on create, a bigint read back as a bigint', async () => {
    const order = await prisma.order.create({ data: { total: 10 } });
    expect(typeof order.id).toBe('bigint');
    expect(await prisma.order.findUniqueOrThrow({ where: { id: order.id } })).toEqual({ id: order.id, total: 10 });
    expect(nextIds.mock.calls).toEqual([['order', 1]]);
  });

  it('takes one nextIds for all the rows of a createMany', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({ total: 1000 + i }));
    expect(await prisma.order.createMany({ data: rows })).toEqual({ count: 30 });
    expect(nextIds.mock.calls).toEqual([['order', 30]]);
    const read = (await prisma.order.findMany({ where: { total: { gte: 1000 } } })).sort((a, b) => a.total - b.total);
    expect(read).toHaveLength(30);
    expectUnique(read.map((row) => row.id));
    expectStrictlyIncreasing(read.map((row) => row.id));
    expect(rows[0]).toEqual({ total: 1000 }); // the caller's objects are not written to
  });

  if (engine.provider !== 'mysql') {
    it('takes one nextIds for a createManyAndReturn', async () => {
      const created = await prisma.order.createManyAndReturn({ data: [{ total: 2000 }, { total: 2001 }] });
      expect(nextIds.mock.calls).toEqual([['order', 2]]);
      expect(created.map((row) => typeof row.id)).toEqual(['bigint', 'bigint']);
    });
  }

  it('fills the create branch of an upsert, and leaves the key of a row that exists', async () => {
    const created = await prisma.order.upsert({ where: { id: 0n }, create: { total: 3000 }, update: { total: 3001 } });
    expect(typeof created.id).toBe('bigint');
    const updated = await prisma.order.upsert({
      where: { id: created.id },
      create: { total: 3002 },
      update: { total: 3003 },
    });
    expect(updated).toEqual({ id: created.id, total: 3003 });
  });

  it('keeps a key the caller gives, and takes no ID for it', async () => {
    const order = await prisma.order.create({ data: { id: 9_000_000_000_000_000_001n, total: 4000 } });
    expect(order.id).toBe(9_000_000_000_000_000_001n);
    await prisma.order.createMany({ data: [{ id: 9_000_000_000_000_000_002n, total: 4001 }, { total: 4002 }] });
    expect(nextIds.mock.calls).toEqual([['order', 1]]);
  });

  it('leaves a model that is not listed to its own key', async () => {
    const note = await prisma.note.create({ data: { text: 'hello' } });
    expect(typeof note.id).toBe('number');
    expect(nextIds).not.toHaveBeenCalled();
  });

  it('refuses a model the client does not have, when the extension is applied', () => {
    expect(() => base.$extends(withLeafIds(moduleRef.get(IdGenerator), { Orders: 'order' }))).toThrow(
      InvalidArgumentError,
    );
  });
});
