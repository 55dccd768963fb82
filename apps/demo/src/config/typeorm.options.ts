import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import { LeafAllocMigration, LeafGaplessMigration } from 'nest-leaf/typeorm';
import { DemoInvoicesMigration } from '../database/demo-invoices.migration.js';
import { DemoTablesMigration } from '../database/demo-tables.migration.js';
import type { DemoConfig } from './demo.config.js';

/** TypeORM options for the configured engine. Tables come from migrations at startup, never from `synchronize`. */
export function typeOrmOptions(database: DemoConfig['database']): TypeOrmModuleOptions {
  const common = {
    autoLoadEntities: true,
    synchronize: false,
    migrations: [LeafAllocMigration, LeafGaplessMigration, DemoTablesMigration, DemoInvoicesMigration],
    migrationsRun: true,
    // Each migration in its own transaction: MySQL commits DDL implicitly anyway.
    migrationsTransactionMode: 'each' as const,
    // A database that is still starting gets ~10 s; a wrong host or password is reported without a long wait.
    retryAttempts: 5,
    retryDelay: 2000,
  };

  if (database.type === 'sqlite') {
    const path = database.path === ':memory:' ? database.path : resolve(database.path);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: path,
      enableWAL: path !== ':memory:',
      // SQLite hands integers to JavaScript as numbers, which lose digits past 2^53; BIGINT IDs must stay exact.
      prepareDatabase: (db: { defaultSafeIntegers(toggle?: boolean): unknown }) => {
        db.defaultSafeIntegers(true);
      },
    };
  }

  const server = {
    host: database.host,
    port: database.port,
    username: database.user,
    password: database.password,
    database: database.name,
  };
  if (database.type === 'mysql') {
    // BIGINT as exact strings (the driver's default in TypeORM, stated here because IDs depend on it).
    return { ...common, ...server, type: 'mysql', supportBigNumbers: true, bigNumberStrings: true };
  }
  return { ...common, ...server, type: 'postgres' };
}
