import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdGenerator, LeafModule, type LeafModuleOptions, type LeafTagSnapshot } from 'nest-leaf';
import { benchDataSourceOptions, MYSQL, type Server } from './mariadb.js';

export interface LeafApp {
  readonly app: INestApplicationContext;
  readonly ids: IdGenerator;
  close(): Promise<void>;
}

/**
 * The library as a user runs it: a Nest application context with `TypeOrmModule.forRoot` (autoLoadEntities)
 * and `LeafModule.forRoot(options)`, on a bench database reached directly or through the fault proxy.
 * Resolves once the generator has reserved the first segment of every configured tag.
 */
export async function startLeafApp(
  database: string,
  options: LeafModuleOptions,
  { server = MYSQL, poolSize }: { server?: Server; poolSize?: number } = {},
): Promise<LeafApp> {
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        ...benchDataSourceOptions(database, server),
        autoLoadEntities: true,
        retryAttempts: 0,
        ...(poolSize !== undefined && { extra: { connectionLimit: poolSize } }),
      }),
      LeafModule.forRoot(options),
    ],
  })
  class BenchLeafModule {}

  // abortOnError off: a failed boot should explain itself instead of aborting the process.
  const app = await NestFactory.createApplicationContext(BenchLeafModule, { logger: false, abortOnError: false });
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
