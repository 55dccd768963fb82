import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdGenerator, LeafModule, type LeafModuleOptions } from 'nest-leaf';
import { mysqlDataSourceOptions } from './mariadb.js';

/** A Nest application context with its own DataSource and LeafModule, as one node of a cluster would have. */
export interface LeafNode {
  readonly app: INestApplicationContext;
  readonly ids: IdGenerator;
  close(): Promise<void>;
}

/**
 * Where a node connects instead of the test server as root: another user (for nodes with fewer privileges),
 * or another address (a fault proxy, a private server).
 */
export interface NodeConnection {
  readonly username?: string;
  readonly password?: string;
  readonly host?: string;
  readonly port?: number;
  /** mysql2's connect timeout; its default (10 s) outlasts a test's patience with a dead address. */
  readonly connectTimeout?: number;
}

export async function startLeafNode(
  database: string,
  options: LeafModuleOptions,
  connection: NodeConnection = {},
): Promise<LeafNode> {
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        ...mysqlDataSourceOptions(database),
        ...connection,
        autoLoadEntities: true,
        retryAttempts: 0,
        extra: { connectionLimit: 4 },
      }),
      LeafModule.forRoot(options),
    ],
  })
  class NodeModule {}

  const moduleRef = await Test.createTestingModule({ imports: [NodeModule] }).compile();
  moduleRef.useLogger(false);
  const app = await moduleRef.init();
  return { app, ids: app.get(IdGenerator), close: () => app.close() };
}
