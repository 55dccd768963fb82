export { PgLeafStore, pgExecutor, type PgPoolLike, type PgPoolClientLike } from './pg-leaf.store.js';
export { createTableSql } from '../sql/leaf-alloc.table.js';
export { serverTimeoutFor } from '../sql/server-bound.js';
