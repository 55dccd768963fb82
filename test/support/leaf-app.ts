import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdGenerator, LeafModule, type LeafModuleOptions } from '@app/leaf';
import { mysqlDataSourceOptions } from './mariadb.js';

/** A Nest application context with its own DataSource and LeafModule, as one node of a cluster would have. */
export interface LeafNode {
  readonly app: INestApplicationContext;
  readonly ids: IdGenerator;
  close(): Promise<void>;
}

/** A database user other than the test server's (root by default), for nodes with fewer privileges. */
export interface DatabaseCredentials {
  readonly username: string;
  readonly password: string;
}

export async function startLeafNode(
  database: string,
  options: LeafModuleOptions,
  credentials?: DatabaseCredentials,
): Promise<LeafNode> {
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        ...mysqlDataSourceOptions(database),
        ...credentials,
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
