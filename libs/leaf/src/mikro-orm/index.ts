export { MikroOrmLeafStore, mikroOrmExecutor, type MikroOrmLeafStoreOptions } from './mikro-orm-leaf.store.js';
export { createTableSql } from '../sql/leaf-alloc.table.js';
export { serverTimeoutFor } from '../sql/server-bound.js';
