export { TypeOrmLeafStore, type TypeOrmLeafStoreOptions } from './typeorm-leaf.store.js';
export { LeafAlloc } from './leaf-alloc.entity.js';
export { LeafAllocMigration, createTableSql } from './leaf-alloc.migration.js';
export { LeafGaplessMigration, createGaplessTableSql } from './leaf-gapless.migration.js';
export { serverTimeoutFor } from '../sql/server-bound.js';
export { LeafId, type LeafIdColumnOptions } from './leaf-id.decorator.js';
export { LeafIdSubscriber } from './leaf-id.subscriber.js';
export { bigintTransformer } from './bigint.transformer.js';
