/**
 * The TypeORM names the root `nest-leaf` exported before `nest-leaf/typeorm` existed, kept for one more minor so
 * that upgrading breaks no import. Only those that load nothing of TypeORM at runtime: the root must import in an
 * application without `typeorm` installed. The `LeafAlloc` entity, whose decorators are TypeORM's, is in
 * `nest-leaf/typeorm` only.
 */
import { LeafAllocMigration as Migration, createTableSql as tableSql } from './leaf-alloc.migration.js';
import {
  LeafGaplessMigration as GaplessMigration,
  createGaplessTableSql as gaplessTableSql,
} from './leaf-gapless.migration.js';
import { serverTimeoutFor as timeoutFor } from '../sql/server-bound.js';
import { TypeOrmLeafStore as Store, type TypeOrmLeafStoreOptions as StoreOptions } from './typeorm-leaf.store.js';

/** @deprecated Import `TypeOrmLeafStore` from `'nest-leaf/typeorm'`; the root stops exporting it in the next minor. */
export const TypeOrmLeafStore = Store;
/** @deprecated Import `TypeOrmLeafStore` from `'nest-leaf/typeorm'`. */
export type TypeOrmLeafStore = Store;
/** @deprecated Import `TypeOrmLeafStoreOptions` from `'nest-leaf/typeorm'`. */
export type TypeOrmLeafStoreOptions = StoreOptions;
/** @deprecated Import `LeafAllocMigration` from `'nest-leaf/typeorm'`; the root stops exporting it in the next minor. */
export const LeafAllocMigration = Migration;
/** @deprecated Import `LeafAllocMigration` from `'nest-leaf/typeorm'`. */
export type LeafAllocMigration = Migration;
/** @deprecated Import `createTableSql` from `'nest-leaf/typeorm'`; the root stops exporting it in the next minor. */
export const createTableSql = tableSql;
/** @deprecated Import `serverTimeoutFor` from `'nest-leaf/typeorm'`; the root stops exporting it in the next minor. */
export const serverTimeoutFor = timeoutFor;
/**
 * The migration of `leaf_gapless` (gapless series), beside `LeafAllocMigration`: from `'nest-leaf/typeorm'` too. Its
 * file imports only TypeORM's types, so the root still loads nothing of TypeORM.
 */
export const LeafGaplessMigration = GaplessMigration;
export type LeafGaplessMigration = GaplessMigration;
/** The `CREATE TABLE IF NOT EXISTS leaf_gapless` of an engine: from `'nest-leaf/typeorm'` too. */
export const createGaplessTableSql = gaplessTableSql;
