export { MikroOrmLeafStore, mikroOrmExecutor, type MikroOrmLeafStoreOptions } from './mikro-orm-leaf.store.js';
export { createTableSql } from '../typeorm/leaf-alloc.migration.js';
export { serverTimeoutFor } from '../sql/server-bound.js';
