import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { LeafModule, type LeafModuleOptions, type LeafStore } from 'nest-leaf';
import { serverTimeoutFor, TypeOrmLeafStore } from 'nest-leaf/typeorm';
import { LeafServerModule, type LeafServerOptions } from 'nest-leaf/server';
import { mysqlDataSourceOptions } from './mariadb.js';

/** The HTTP platforms an ID server runs on here: Express always, Fastify when `@nestjs/platform-fastify` is installed. */
export type Platform = 'express' | 'fastify';

export async function availablePlatforms(): Promise<Platform[]> {
  const fastify = await import('@nestjs/platform-fastify').then(
    () => true,
    () => false,
  );
  return fastify ? ['express', 'fastify'] : ['express'];
}

export interface IdServerOptions<S extends LeafStore> {
  /** The MariaDB database holding `leaf_alloc`, or the TypeORM options of another engine's. */
  readonly database: string | DataSourceOptions;
  readonly leaf: Omit<LeafModuleOptions, 'store'>;
  readonly server: LeafServerOptions;
  readonly platform?: Platform;
  /** 0 (default): any free port. */
  readonly port?: number;
  /** Wraps the TypeORM store (a test counts or fails its calls). */
  readonly wrapStore: (store: LeafStore) => S;
}

/** A running ID server: the Nest app, its address, and the store under it. */
export interface IdServerApp<S extends LeafStore> {
  readonly app: INestApplication;
  readonly url: string;
  readonly port: number;
  readonly store: S;
  close(): Promise<void>;
}

/**
 * An ID server as an operator runs one: `LeafModule.forRoot(leaf)` on a TypeORM store and
 * `LeafServerModule.forRoot(server)`, listening on 127.0.0.1 on Express or Fastify. Tests and the bench share it.
 */
export async function startIdServer<S extends LeafStore>(options: IdServerOptions<S>): Promise<IdServerApp<S>> {
  const leaf = { ...options.leaf };
  const dataSource = await new DataSource(
    typeof options.database === 'string'
      ? { ...mysqlDataSourceOptions(options.database), extra: { connectionLimit: 10 } }
      : options.database,
  ).initialize();
  const store = options.wrapStore(
    new TypeOrmLeafStore(dataSource, { serverTimeoutMs: serverTimeoutFor(Number(leaf.reservationTimeoutMs ?? 5000)) }),
  );

  @Module({ imports: [LeafModule.forRoot({ ...leaf, store }), LeafServerModule.forRoot(options.server)] })
  class LeafServerAppModule {}

  let app: INestApplication;
  try {
    if (options.platform === 'fastify') {
      const { FastifyAdapter } = await import('@nestjs/platform-fastify');
      // find-my-way refuses a path parameter over 100 characters (414) by default; a tag has up to 128, each up to 12
      // once percent-encoded (4 UTF-8 bytes). docs/server.md tells Fastify hosts the same.
      const adapter = new FastifyAdapter({ routerOptions: { maxParamLength: 1536 } });
      app = await NestFactory.create(LeafServerAppModule, adapter, { logger: false, abortOnError: false });
    } else {
      app = await NestFactory.create(LeafServerAppModule, { logger: false, abortOnError: false });
    }
    await app.listen(options.port ?? 0, '127.0.0.1');
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    port,
    store,
    close: async () => {
      try {
        await app.close();
      } finally {
        await dataSource.destroy();
      }
    },
  };
}
