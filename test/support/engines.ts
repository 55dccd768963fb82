import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { LeafAllocMigration, TypeOrmLeafStore } from 'nest-leaf/typeorm';
import { mysqlDataSourceOptions } from '../../harness/mariadb.js';
import { POSTGRES } from './demo/postgres.js';

/** A database of the suite's own on one engine, as TypeORM options, and how to drop it. */
export interface EngineDatabase {
  readonly engine: string;
  readonly options: DataSourceOptions;
  dispose(): Promise<void>;
}

export async function sqliteDatabase(): Promise<EngineDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'leaf-sqlite-'));
  return {
    engine: 'sqlite',
    options: { type: 'better-sqlite3', database: join(dir, 'leaf.sqlite') },
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function postgresDatabase(suite: string): Promise<EngineDatabase> {
  const name = `leaf_test_${suite}`;
  const admin = new pg.Client({ ...POSTGRES, database: 'postgres' });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    engine: 'postgres',
    options: {
      type: 'postgres',
      host: POSTGRES.host,
      port: POSTGRES.port,
      username: POSTGRES.user,
      password: POSTGRES.password,
      database: name,
    },
    dispose: async () => undefined,
  };
}

export async function mariadbDatabase(suite: string): Promise<EngineDatabase> {
  const { freshDatabase } = await import('../../harness/mariadb.js');
  const db = await freshDatabase(suite, { withTable: false });
  await db.close();
  return {
    engine: 'mariadb',
    options: mysqlDataSourceOptions(db.name),
    dispose: async () => undefined,
  };
}

/** `leaf_alloc` created by the shipped migration in a database of the suite's own, and the TypeORM store on it. */
export async function typeOrmStoreOn(
  create: () => Promise<EngineDatabase>,
): Promise<{ readonly store: TypeOrmLeafStore; close(): Promise<void> }> {
  const database = await create();
  const options = { ...database.options, migrations: [LeafAllocMigration], migrationsRun: true } as DataSourceOptions;
  const dataSource = await new DataSource(options).initialize();
  return {
    store: new TypeOrmLeafStore(dataSource),
    close: async () => {
      await dataSource.destroy();
      await database.dispose();
    },
  };
}
