export { LeafIdPlugin, type LeafIdTable } from './leaf-id.plugin.js';
export { KyselyLeafStore, kyselyExecutor, type KyselyLeafStoreOptions } from './kysely-leaf.store.js';
export { createTableSql } from '../sql/leaf-alloc.table.js';
export { serverTimeoutFor } from '../sql/server-bound.js';
