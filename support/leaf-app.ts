import { Module, type INestApplicationContext, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdGenerator, LeafModule, type LeafModuleOptions, type LeafTagSnapshot, type ReservationEvent } from 'nest-leaf';
import { MYSQL, mysqlDataSourceOptions } from './mariadb.js';

/** The library as a user runs it: a Nest application context with its own DataSource and LeafModule. */
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
  { logger = false, onReservation }: LeafAppOptions = {},
): Promise<LeafApp> {
  const { host, port, username, password, connectTimeout, poolSize } = connection;
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        ...mysqlDataSourceOptions(database, { host: host ?? MYSQL.host, port: port ?? MYSQL.port }),
        ...(username !== undefined && { username }),
        ...(password !== undefined && { password }),
        ...(connectTimeout !== undefined && { connectTimeout }),
        autoLoadEntities: true,
        retryAttempts: 0,
        ...(poolSize !== undefined && { extra: { connectionLimit: poolSize } }),
      }),
      LeafModule.forRoot(options),
    ],
    providers: onReservation
      ? [{ provide: RESERVATION_LISTENER, inject: [IdGenerator], useFactory: (ids: IdGenerator) => ids.onReservation(onReservation) }]
      : [],
  })
  class LeafAppModule {}

  // abortOnError off: a failed boot should explain itself instead of aborting the process.
  const app = await NestFactory.createApplicationContext(LeafAppModule, { logger, abortOnError: false });
  return { app, ids: app.get(IdGenerator), close: () => app.close() };
}

export function tagSnapshot(ids: IdGenerator, tag: string): LeafTagSnapshot {
  const snapshot = ids.inspect().find((s) => s.tag === tag);
  if (snapshot === undefined) throw new Error(`IdGenerator.inspect() has no tag "${tag}"`);
  return snapshot;
}

export function tagSnapshots(ids: IdGenerator): Map<string, LeafTagSnapshot> {
  return new Map(ids.inspect().map((s) => [s.tag, s]));
}
