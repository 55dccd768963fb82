export { MysqlLeafStore, mysqlExecutor, type MysqlPoolLike, type MysqlPoolConnectionLike } from './mysql-leaf.store.js';
export { createTableSql } from '../sql/leaf-alloc.table.js';
export { serverTimeoutFor } from '../sql/server-bound.js';
