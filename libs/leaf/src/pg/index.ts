export { PgLeafStore, pgExecutor, type PgPoolLike, type PgPoolClientLike } from './pg-leaf.store.js';
export { createTableSql } from '../typeorm/leaf-alloc.migration.js';
export { serverTimeoutFor } from '../sql/server-bound.js';
