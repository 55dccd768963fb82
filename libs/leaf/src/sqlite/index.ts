export { SqliteLeafStore } from './sqlite-leaf.store.js';
export { sqliteExecutor } from '../sql/sqlite-executor.js';
export { createTableSql } from '../sql/leaf-alloc.table.js';
export { serverTimeoutFor } from '../sql/server-bound.js';
