import type { SqlExecutor } from './sql-executor.js';

/** The server behind a connection, as far as fencing tells them apart. */
export type SqlServerKind = 'postgres' | 'mysql' | 'mariadb';

/**
 * SQL expressions naming the server a statement runs on, each something a promotion changes and a restart does not,
 * readable by a role that has no privilege but on `leaf_alloc` (stock settings: every function below is granted to
 * PUBLIC; no `pg_monitor`, no `PROCESS`, no `REPLICATION CLIENT`):
 * - PostgreSQL: the timeline WAL is written on now (the first 8 hex digits of the current WAL file's name; a
 *   promotion starts a new timeline at once, while `pg_control_checkpoint().timeline_id` only follows at the next
 *   checkpoint) and the system identifier (`pg_control_system()`: set by initdb, kept by pg_basebackup, so a table
 *   restored into another cluster is told apart from a failover within one).
 * - MariaDB: `@@server_id`, which replication requires to differ between servers.
 * - MariaDB Galera (`wsrep_on`): the cluster's state UUID, the same on every synchronous member, so a switch between
 *   members fences nothing; an asynchronous replica of the cluster is another server.
 * - MySQL: `@@server_uuid`, made at the server's first start and never replicated.
 */
const IDENTITY = {
  postgres:
    "('postgres timeline ' || ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int || " +
    "' of system ' || (SELECT system_identifier FROM pg_control_system()))",
  mariadb: "CONCAT('mariadb server_id ', @@server_id)",
  galera:
    "CONCAT('galera cluster ', (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS " +
    "WHERE VARIABLE_NAME = 'WSREP_CLUSTER_STATE_UUID'))",
  mysql: "CONCAT('mysql server_uuid ', @@server_uuid)",
} as const;

/** The identity expression for the server behind `executor`; MariaDB is asked once whether it is a Galera member. */
export async function identityExpression(
  executor: SqlExecutor,
  kind: SqlServerKind,
  signal?: AbortSignal,
): Promise<string> {
  if (kind !== 'mariadb') return IDENTITY[kind];
  const [row] = (await executor.query('SELECT @@GLOBAL.wsrep_on AS wsrep', [], signal)).rows;
  return Number(row?.wsrep) === 1 ? IDENTITY.galera : IDENTITY.mariadb;
}
