import { join } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaPg } from '@prisma/adapter-pg';
import { createTableSql, PrismaLeafStore, type PrismaClientLike } from 'nest-leaf/prisma';
import type { LeafStoreUnderTest } from 'nest-leaf/testing';
import { mariadbDatabase, postgresDatabase, sqliteDatabase, type EngineDatabase } from './engines.js';
import { generatePrismaClient, type PrismaProvider } from './prisma-client.js';

// PrismaLeafStore on a Prisma 7 client generated at test time, on the driver adapter of each engine; `leaf_alloc`
// created from createTableSql with the client's own raw SQL, as a Prisma user without TypeORM would.

/** leaf_alloc is none of the schema's models: the schema needs one model all the same. */
const MODELS = 'model SqlExecProbe {\n  id Int @id\n}';

interface PrismaEngine {
  readonly provider: PrismaProvider;
  readonly engine: string;
  create(suite: string): Promise<EngineDatabase>;
  adapter(options: Record<string, unknown>): unknown;
}

const ENGINES: Record<'postgres' | 'sqlite' | 'mariadb', PrismaEngine> = {
  postgres: {
    provider: 'postgresql',
    engine: 'postgres',
    create: (suite) => postgresDatabase(suite),
    adapter: (o) => new PrismaPg({ host: o.host, port: o.port, user: o.username, database: o.database } as never),
  },
  sqlite: {
    provider: 'sqlite',
    engine: 'sqlite',
    create: () => sqliteDatabase(),
    adapter: (o) => new PrismaBetterSqlite3({ url: `file:${o.database as string}` }),
  },
  mariadb: {
    provider: 'mysql',
    engine: 'mysql',
    create: (suite) => mariadbDatabase(suite),
    adapter: (o) =>
      new PrismaMariaDb({
        host: o.host,
        port: o.port,
        user: o.username,
        password: o.password,
        database: o.database,
        // BIGINT as text, as every driver the store runs on
        bigIntAsNumber: false,
      } as never),
  },
};

type Client = PrismaClientLike & { $disconnect(): Promise<void> };

/** A Prisma client on a database of the suite's own. */
export async function prismaClientOn(
  name: keyof typeof ENGINES,
  suite: string,
): Promise<{ readonly prisma: Client; close(): Promise<void> }> {
  const engine = ENGINES[name];
  const database = await engine.create(suite);
  const folder = generatePrismaClient(`sql-exec-${engine.provider}`, engine.provider, MODELS);
  const { PrismaClient } = (await import(join(folder, 'client.ts'))) as {
    PrismaClient: new (options: { adapter: unknown }) => Client;
  };
  const prisma = new PrismaClient({ adapter: engine.adapter(database.options as unknown as Record<string, unknown>) });
  await prisma.$executeRawUnsafe(createTableSql(engine.engine));
  return {
    prisma,
    close: async () => {
      await prisma.$disconnect();
      await database.dispose();
    },
  };
}

export async function prismaStoreOn(name: keyof typeof ENGINES, suite: string): Promise<LeafStoreUnderTest> {
  const { prisma, close } = await prismaClientOn(name, suite);
  return { store: new PrismaLeafStore(prisma), close };
}
