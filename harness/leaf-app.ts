import { Module, type DynamicModule, type INestApplicationContext, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Redis, type RedisOptions } from 'ioredis';
import {
  IdGenerator,
  LeafModule,
  type LeafModuleOptions,
  type LeafTagSnapshot,
  type ReservationEvent,
} from 'nest-leaf';
import { HttpLeafStore, type HttpLeafStoreOptions } from 'nest-leaf/http';
import { PgLeafStore } from 'nest-leaf/pg';
import { PrismaLeafStore, type PrismaClientLike } from 'nest-leaf/prisma';
import { PrismaPg } from '@prisma/adapter-pg';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { RedisLeafStore } from 'nest-leaf/redis';
import { MYSQL, mysqlDataSourceOptions } from './mariadb.js';
import type { RedisTarget } from './redis.js';

/** The library as a user runs it: a Nest application context with LeafModule, on its own DataSource or Redis client. */
export interface LeafApp {
  readonly app: INestApplicationContext;
  readonly ids: IdGenerator;
  close(): Promise<void>;
}

/**
 * How an app reaches the database, when not as the configured user at MYSQL: another address (a fault
 * proxy, a private server), another user (one with fewer privileges), a pool of a given size.
 */
export interface LeafAppConnection {
  readonly host?: string;
  readonly port?: number;
  readonly username?: string;
  readonly password?: string;
  /** mysql2's connect timeout; its default (10 s) outlasts a test's patience with a dead address. */
  readonly connectTimeout?: number;
  /** mysql2's connectionLimit; its default (10) when absent. */
  readonly poolSize?: number;
}

export interface LeafAppOptions {
  /** Nest's log levels; off by default (a failed reservation logs a warning, dozens of times per outage). */
  readonly logger?: false | LogLevel[];
  /**
   * Subscribed before the generator starts, so the startup reservations are heard too (a provider's factory
   * runs before any onModuleInit).
   */
  readonly onReservation?: (event: ReservationEvent) => void;
}

const RESERVATION_LISTENER = Symbol('reservation listener');

/**
 * `TypeOrmModule.forRoot` (autoLoadEntities) and `LeafModule.forRoot(options)` in a Nest application context,
 * on `database`. Resolves once the generator has reserved the first segment of every configured tag.
 */
export async function startLeafApp(
  database: string,
  options: LeafModuleOptions,
  connection: LeafAppConnection = {},
  appOptions: LeafAppOptions = {},
): Promise<LeafApp> {
  const { host, port, username, password, connectTimeout, poolSize } = connection;
  const typeOrm = TypeOrmModule.forRoot({
    ...mysqlDataSourceOptions(database, { host: host ?? MYSQL.host, port: port ?? MYSQL.port }),
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    ...(connectTimeout !== undefined && { connectTimeout }),
    autoLoadEntities: true,
    retryAttempts: 0,
    ...(poolSize !== undefined && { extra: { connectionLimit: poolSize } }),
  });
  const app = await createLeafContext([typeOrm], options, appOptions);
  return { app, ids: app.get(IdGenerator), close: () => app.close() };
}

/** A Leaf app on Redis: what it holds besides the app, for a test to look at or to cut. */
export interface RedisLeafApp extends LeafApp {
  /** The app's ioredis client, quit by `close()` after the app. */
  readonly redis: Redis;
  readonly store: RedisLeafStore;
}

/**
 * `LeafModule.forRoot({ ...options, store: new RedisLeafStore(client, { keyPrefix }) })` in a Nest application
 * context, no TypeORM: the client is the app's own, created here with ioredis's defaults (or `client`'s options)
 * and quit once the app has closed (the store never quits a client it was given). Resolves once the generator
 * has reserved the first segment of every configured tag.
 */
export async function startRedisLeafApp(
  target: RedisTarget,
  options: LeafModuleOptions,
  appOptions: LeafAppOptions & { readonly client?: RedisOptions } = {},
): Promise<RedisLeafApp> {
  const redis = new Redis({ ...appOptions.client, host: target.host, port: target.port });
  // Without a listener ioredis prints every failed reconnection ("Unhandled error event"); the store reports failures.
  redis.on('error', () => undefined);
  const store = new RedisLeafStore(redis, { keyPrefix: target.keyPrefix });
  let app: INestApplicationContext;
  try {
    app = await createLeafContext([], { ...options, store }, appOptions);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  const close = async () => {
    try {
      await app.close();
    } finally {
      // QUIT waits for the replies still due; a client cut off from the server has none coming, so it just goes.
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    }
  };
  return { app, ids: app.get(IdGenerator), redis, store, close };
}

/**
 * `LeafModule.forRoot({ ...options, store: new HttpLeafStore(client) })` in a Nest application context: a service
 * that reserves through an ID server (`LeafServerModule`) and holds no database credentials. Resolves once the
 * generator has reserved the first segment of every configured tag, which needs their rows to exist already unless
 * the client's token is an admin's.
 */
export async function startHttpLeafApp(
  client: HttpLeafStoreOptions,
  options: LeafModuleOptions,
  appOptions: LeafAppOptions = {},
): Promise<LeafApp> {
  const app = await createLeafContext([], { ...options, store: new HttpLeafStore(client) }, appOptions);
  return { app, ids: app.get(IdGenerator), close: () => app.close() };
}

/** Where a node on `PgLeafStore` finds PostgreSQL: a pg Pool of its own, no ORM. */
export interface PgTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly database: string;
}

/**
 * `LeafModule.forRoot({ ...options, store: new PgLeafStore(pool) })` on a pg Pool the app makes and ends after the
 * app: the plain-driver adapter of the SQL store, as an app without TypeORM runs it.
 */
export async function startPgLeafApp(
  target: PgTarget,
  options: LeafModuleOptions,
  appOptions: LeafAppOptions = {},
): Promise<LeafApp> {
  const pool = new pg.Pool({ ...target, max: 4 });
  // An idle client whose server went away errors on the pool; the store reports the failures of its own calls.
  pool.on('error', () => undefined);
  let app: INestApplicationContext;
  try {
    app = await createLeafContext([], { ...options, store: new PgLeafStore(pool) }, appOptions);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return { app, ids: app.get(IdGenerator), close: () => app.close().finally(() => pool.end()) };
}

/**
 * `LeafModule.forRoot({ ...options, store: new PrismaLeafStore(prisma) })` on a Prisma 7 client generated for
 * PostgreSQL (`client`: its `client.ts`, loaded through test/support/ts-register.mjs) on `@prisma/adapter-pg`,
 * disconnected after the app.
 */
export async function startPrismaLeafApp(
  target: PgTarget & { readonly client: string },
  options: LeafModuleOptions,
  appOptions: LeafAppOptions = {},
): Promise<LeafApp> {
  const { client, ...connection } = target;
  const { PrismaClient } = (await import(pathToFileURL(client).href)) as {
    PrismaClient: new (options: { adapter: unknown }) => PrismaClientLike & { $disconnect(): Promise<void> };
  };
  const prisma = new PrismaClient({ adapter: new PrismaPg({ ...connection, max: 4 }) });
  let app: INestApplicationContext;
  try {
    app = await createLeafContext([], { ...options, store: new PrismaLeafStore(prisma) }, appOptions);
  } catch (error) {
    await prisma.$disconnect();
    throw error;
  }
  return { app, ids: app.get(IdGenerator), close: () => app.close().finally(() => prisma.$disconnect()) };
}

/** `LeafModule.forRoot(options)` after `imports`, with the reservation listener subscribed before the generator starts. */
async function createLeafContext(
  imports: DynamicModule[],
  options: LeafModuleOptions,
  { logger = false, onReservation }: LeafAppOptions,
): Promise<INestApplicationContext> {
  @Module({
    imports: [...imports, LeafModule.forRoot(options)],
    providers: onReservation
      ? [
          {
            provide: RESERVATION_LISTENER,
            inject: [IdGenerator],
            useFactory: (ids: IdGenerator) => ids.onReservation(onReservation),
          },
        ]
      : [],
  })
  class LeafAppModule {}

  // abortOnError off: a failed boot should explain itself instead of aborting the process.
  return NestFactory.createApplicationContext(LeafAppModule, { logger, abortOnError: false });
}

export function tagSnapshot(ids: IdGenerator, tag: string): LeafTagSnapshot {
  const snapshot = ids.inspect().find((s) => s.tag === tag);
  if (snapshot === undefined) throw new Error(`IdGenerator.inspect() has no tag "${tag}"`);
  return snapshot;
}

export function tagSnapshots(ids: IdGenerator): Map<string, LeafTagSnapshot> {
  return new Map(ids.inspect().map((s) => [s.tag, s]));
}
