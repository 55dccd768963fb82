export { MysqlLeafStore, mysqlExecutor, type MysqlPoolLike, type MysqlPoolConnectionLike } from './mysql-leaf.store.js';
export { createTableSql } from '../typeorm/leaf-alloc.migration.js';
export { serverTimeoutFor } from '../sql/server-bound.js';
