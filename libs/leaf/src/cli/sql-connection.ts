import { existsSync } from 'node:fs';
import type { DataSource, DataSourceOptions } from 'typeorm';
import { CliError, EXIT } from './cli-errors.js';
import { isoTime, type CliConnection, type MigrateOutcome, type TagRowView } from './cli-connection.js';
import type { ConnectionTarget } from './connection-url.js';

type SqlTarget = Extract<ConnectionTarget, { kind: 'mysql' | 'postgres' | 'sqlite' }>;

/** The driver each engine's TypeORM DataSource loads, as `npm install` names it. */
const DRIVER = { mysql: 'mysql2', postgres: 'pg', sqlite: 'better-sqlite3' } as const;

/**
 * A TypeORM DataSource on the target and `TypeOrmLeafStore` on it. TypeORM is an optional peer of nest-leaf, so it is
 * imported here, on the SQL path only; a missing package (TypeORM or the engine's driver) is a `CliError` naming what
 * to install. `create`: whether a missing SQLite file may be created (only `migrate` creates one).
 */
export async function openSql(target: SqlTarget, { create }: { create: boolean }): Promise<CliConnection> {
  const driver = DRIVER[target.kind];
  const typeorm = await importOrExplain(() => import('typeorm'), 'typeorm', `npm install typeorm ${driver}`);
  const { TypeOrmLeafStore, LeafAllocMigration, LeafGaplessMigration } = await import('../typeorm/index.js');
  if (target.kind === 'sqlite' && !create && !existsSync(target.file)) {
    throw CliError.connection(`No SQLite database at ${target.file}: check the path, or create it with "migrate".`);
  }
  const options: DataSourceOptions =
    target.kind === 'sqlite'
      ? { type: 'better-sqlite3', database: target.file }
      : target.kind === 'mysql'
        ? {
            type: 'mysql',
            url: target.url,
            database: target.database,
            supportBigNumbers: true,
            bigNumberStrings: true,
            connectTimeout: 10_000,
          }
        : { type: 'postgres', url: target.url, database: target.database, connectTimeoutMS: 10_000 };
  let dataSource: DataSource;
  try {
    dataSource = await new typeorm.DataSource(options).initialize();
  } catch (error) {
    if ((error as Error)?.name === 'DriverPackageNotInstalledError') {
      throw CliError.missingPackage(driver, `npm install ${driver}`, error);
    }
    throw error;
  }
  const store = new TypeOrmLeafStore(dataSource);
  const closing = () => dataSource.destroy();
  try {
    if (!create && !(await hasTable(dataSource, 'leaf_alloc'))) {
      throw new CliError(
        EXIT.store,
        'CLI_NO_TABLE',
        `${store.location} does not exist: create it with "npx nest-leaf migrate" (or LeafAllocMigration in the ` +
          "app's TypeORM migrations, or Leaf's own SQL script).",
      );
    }
  } catch (error) {
    await closing();
    throw error;
  }
  return {
    store,
    shown: target.shown,
    rows: (tags) => readRows(dataSource, target.kind, tags),
    migrate: async (gapless): Promise<MigrateOutcome> => {
      const migrations: Array<[string, { up(runner: unknown): Promise<void> }]> = [
        ['leaf_alloc', new LeafAllocMigration()],
      ];
      if (gapless) migrations.push(['leaf_gapless', new LeafGaplessMigration()]);
      const created: string[] = [];
      const existing: string[] = [];
      for (const [table, migration] of migrations) {
        const runner = dataSource.createQueryRunner();
        try {
          // The migration itself (CREATE TABLE IF NOT EXISTS, serialized between nodes): no other DDL, no
          // bookkeeping table; an app that lists the migration later finds the table and leaves it.
          const existed = await runner.hasTable(table);
          await migration.up(runner);
          (existed ? existing : created).push(table);
        } finally {
          await runner.release();
        }
      }
      return { created, existing };
    },
    close: closing,
  };
}

async function hasTable(dataSource: DataSource, table: string): Promise<boolean> {
  const runner = dataSource.createQueryRunner();
  try {
    return await runner.hasTable(table);
  } finally {
    await runner.release();
  }
}

/** Every row of the tags listed, in the order given; `max_id` read as text where the driver would round it. */
async function readRows(
  dataSource: DataSource,
  kind: SqlTarget['kind'],
  tags: readonly string[],
): Promise<TagRowView[]> {
  // better-sqlite3 returns a BIGINT as a JS number unless asked otherwise: read it as text, exact past 2^53.
  const maxId = kind === 'sqlite' ? 'CAST(max_id AS TEXT) AS max_id' : 'max_id';
  const records = (await dataSource.query(
    `SELECT biz_tag, ${maxId}, step, description, update_time FROM leaf_alloc`,
  )) as Array<Record<string, unknown>>;
  const byTag = new Map(records.map((record) => [String(record.biz_tag), record]));
  return tags.flatMap((tag) => {
    const record = byTag.get(tag);
    if (record === undefined) return []; // deleted between the two reads
    return [
      {
        bizTag: tag,
        maxId: String(record.max_id),
        step: Number(record.step),
        description: record.description === null ? null : String(record.description),
        updatedAt: isoTime(record.update_time),
      },
    ];
  });
}

/** `load()`, or a `CliError` naming the package to install when it is not there. */
export async function importOrExplain<T>(load: () => Promise<T>, pkg: string, install: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(message).includes(`'${pkg}'`)) {
      throw CliError.missingPackage(pkg, install, error);
    }
    throw error;
  }
}
