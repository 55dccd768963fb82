export { TypeOrmLeafStore, type TypeOrmLeafStoreOptions } from './typeorm-leaf.store.js';
export { LeafAlloc } from './leaf-alloc.entity.js';
export { LeafAllocMigration, createTableSql } from './leaf-alloc.migration.js';
export { LeafGaplessMigration, createGaplessTableSql } from './leaf-gapless.migration.js';
export { serverTimeoutFor } from '../sql/server-bound.js';
