import { Logger, type LoggerService } from '@nestjs/common';
import { messageOf } from '../errors/error-message.js';
import type { SqlExecutor } from './sql-executor.js';

/** Whether commits on the server wait for a replica, and what protects the IDs against a failover. */
export interface SqlDurability {
  /**
   * `sync-standby` (PostgreSQL, synchronous standbys named and waited for), `semi-sync` (MySQL/MariaDB), `galera`
   * (a synchronous cluster), `async` (commits wait for no replica) or `unknown` (the settings could not be read).
   */
  readonly replication: 'sync-standby' | 'semi-sync' | 'galera' | 'async' | 'unknown';
  readonly fencing: boolean;
  /** The line the store logs. */
  readonly message: string;
}

type Query = (sql: string) => Promise<{ records: unknown[] }>;

const LOGGER = new Logger('Leaf');

/**
 * Reads once whether commits wait for a replica (PostgreSQL `synchronous_standby_names` and `synchronous_commit`;
 * MySQL/MariaDB semi-sync, its timeout and wait point; Galera's `wsrep_on`), all readable without privileges, and
 * logs which protection is active: a warning when neither waiting nor fencing covers a failover. Never rejects.
 */
export async function readSqlDurability(
  executor: Pick<SqlExecutor, 'query'>,
  engine: string,
  fencing: boolean,
  logger: LoggerService = LOGGER,
): Promise<SqlDurability> {
  if (engine === 'sqlite') return { replication: 'unknown', fencing, message: 'SQLite: no replication.' };
  const query: Query = async (sql) => ({ records: [...(await executor.query(sql, [])).rows] });
  let replication: SqlDurability['replication'];
  let line: string;
  try {
    [replication, line] = engine === 'postgres' ? await postgres(query) : await mysql(query);
  } catch (error) {
    [replication, line] = ['unknown', `Could not read the replication settings of the server (${messageOf(error)}).`];
  }
  const message = `${line} ${protection(engine, replication, fencing)}`;
  if (fencing || replication === 'sync-standby' || replication === 'galera') logger.log(message);
  else logger.warn(message);
  return { replication, fencing, message };
}

async function postgres(query: Query): Promise<[SqlDurability['replication'], string]> {
  const { records } = await query(
    "SELECT current_setting('synchronous_standby_names') AS names, current_setting('synchronous_commit') AS commit",
  );
  const { names, commit } = records[0] as { names: string; commit: string };
  if (names.trim() !== '' && ['on', 'remote_write', 'remote_apply'].includes(commit)) {
    return [
      'sync-standby',
      `PostgreSQL commits wait for a synchronous standby (synchronous_standby_names '${names}', synchronous_commit ` +
        `${commit}): a reservation is on a standby before it is served, so a failover to one of them loses none.`,
    ];
  }
  return [
    'async',
    `PostgreSQL commits wait for no standby (synchronous_standby_names '${names}', synchronous_commit ${commit}): ` +
      'replication is asynchronous, and a replica promoted after the primary failed can lack the last reservations.',
  ];
}

async function mysql(query: Query): Promise<[SqlDurability['replication'], string]> {
  const { records } = await query(
    "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('wsrep_on', 'rpl_semi_sync_master_enabled', " +
      "'rpl_semi_sync_master_timeout', 'rpl_semi_sync_master_wait_point', 'rpl_semi_sync_source_enabled', " +
      "'rpl_semi_sync_source_timeout', 'rpl_semi_sync_source_wait_point')",
  );
  const settings = new Map(
    (records as Array<{ Variable_name: string; Value: string }>).map((r) => [
      r.Variable_name.replace('_source_', '_master_'),
      r.Value,
    ]),
  );
  if (settings.get('wsrep_on') === 'ON') {
    return [
      'galera',
      'MariaDB Galera: every commit is certified by the whole cluster, so a switch between its members loses no ' +
        'reservation (and fences nothing).',
    ];
  }
  if (settings.get('rpl_semi_sync_master_enabled') === 'ON') {
    const timeout = settings.get('rpl_semi_sync_master_timeout');
    const point = settings.get('rpl_semi_sync_master_wait_point');
    return [
      'semi-sync',
      `Semi-synchronous replication: commits wait for a replica's acknowledgement (wait point ${point}) up to ` +
        `rpl_semi_sync_master_timeout ${timeout} ms, then go on asynchronously: a replica promoted after such a ` +
        'timeout can lack the last reservations.',
    ];
  }
  return [
    'async',
    'Commits wait for no replica (semi-sync off): replication is asynchronous, and a replica promoted after the ' +
      'primary failed can lack the last reservations.',
  ];
}

function protection(engine: string, replication: SqlDurability['replication'], fencing: boolean): string {
  const marker =
    engine === 'postgres' ? 'timeline and system identifier' : replication === 'galera' ? 'cluster' : 'server';
  if (fencing) {
    return (
      `Failover protection: fencing on promotion (the row __nest_leaf_fence__ names the ${marker} it was fenced ` +
      'for; on another, every tag moves ahead by its failoverSkip before anyone reserves, so no ID repeats).'
    );
  }
  if (replication === 'sync-standby' || replication === 'galera') return 'Failover fencing is off (fencing: false).';
  return (
    'Failover protection: fencing is OFF (fencing: false): a failover to such a replica hands out ' +
    'again the IDs of every reservation it lost. Turn fencing on.'
  );
}
