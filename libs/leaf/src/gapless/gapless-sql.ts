/**
 * Every statement of a gapless number, per engine. A number costs two: the database's clock (which names the period),
 * then one upsert of the series' counter row, which locks that row until the caller's transaction ends:
 *
 * - PostgreSQL, SQLite: `INSERT … ON CONFLICT (series, period) DO UPDATE SET value = value + 1 RETURNING value`;
 * - MySQL/MariaDB: `INSERT … ON DUPLICATE KEY UPDATE value = LAST_INSERT_ID(value + 1)`, the value coming back as the
 *   OK packet's insertId.
 *
 * The wait for the row (another transaction took the previous number and has not ended) is bounded on the server.
 */
import { GaplessBusyError } from '../errors/gapless-busy.error.js';
import type { GaplessEngine, GaplessQueryResult } from './gapless-executor.js';

/** A statement with its parameters, and what must run around it on the same connection (MySQL only). */
export interface GaplessStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly before?: string;
  readonly after?: string;
}

export interface GaplessDialect {
  /**
   * The database's clock when the number is asked for, in UTC, as `now_utc` (`'2026-12-31 23:59:59.123456'`); on
   * PostgreSQL also the transaction's `lock_timeout`, which the increment sets for itself and puts back.
   */
  readonly clockSql: string;
  /** The upsert of `(series, period)`, waiting at most `waitMs` for the row. `clock`: the row of `clockSql`. */
  increment(series: string, period: string, waitMs: number, clock: Record<string, unknown>): GaplessStatement;
  /** The new value from the increment's result; undefined when the executor gave no insertId (then `lastValueSql`). */
  value(result: GaplessQueryResult): unknown;
  /** MySQL/MariaDB: the value `LAST_INSERT_ID(expr)` set, for executors that give no insertId. */
  readonly lastValueSql?: string;
  /** The counter of a series' period, as text in `value`. Parameters: series, period. */
  readonly counterSql: string;
  /** Placeholder of the n-th (1-based) parameter. */
  placeholder(n: number): string;
  /** An identifier checked by the caller (letters, digits, `_`), quoted. */
  quote(identifier: string): string;
}

const PG_UPSERT =
  'INSERT INTO leaf_gapless (series, period, value, update_time) ' +
  // The sub-select runs once, before the row is inserted or waited for: the bound is in place for the wait, and is
  // local to the caller's transaction, so RETURNING puts the transaction's own value back once the row is locked.
  "SELECT $1, $2, 1, CURRENT_TIMESTAMP WHERE (SELECT set_config('lock_timeout', $3, true)) IS NOT NULL " +
  'ON CONFLICT (series, period) DO UPDATE SET value = leaf_gapless.value + 1, update_time = CURRENT_TIMESTAMP ' +
  "RETURNING value::text AS value, set_config('lock_timeout', $4, true) AS lock_timeout";

/** LAST_INSERT_ID(expr) hands the value back in the OK packet: no SELECT, one round trip under the lock. */
const MYSQL_UPSERT =
  'INSERT INTO leaf_gapless (series, period, value) VALUES (?, ?, LAST_INSERT_ID(1)) ' +
  'ON DUPLICATE KEY UPDATE value = LAST_INSERT_ID(value + 1)';

const MYSQL_CLOCK = "SELECT DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%d %H:%i:%s.%f') AS now_utc";

const returned = (result: GaplessQueryResult) => result.rows[0]?.value;

const postgres: GaplessDialect = {
  clockSql:
    "SELECT to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS now_utc, " +
    "current_setting('lock_timeout') AS lock_timeout",
  increment: (series, period, waitMs, clock) => ({
    sql: PG_UPSERT,
    params: [series, period, `${waitMs}ms`, String(clock.lock_timeout ?? '0')],
  }),
  value: returned,
  counterSql: 'SELECT value::text AS value FROM leaf_gapless WHERE series = $1 AND period = $2',
  placeholder: (n) => `$${n}`,
  quote: (identifier) => `"${identifier}"`,
};

const mysqlShared = {
  clockSql: MYSQL_CLOCK,
  value: (result: GaplessQueryResult) => result.insertId,
  lastValueSql: 'SELECT LAST_INSERT_ID() AS value',
  counterSql: 'SELECT CAST(value AS CHAR) AS value FROM leaf_gapless WHERE series = ? AND period = ?',
  placeholder: () => '?',
  quote: (identifier: string) => `\`${identifier}\``,
};

/**
 * MariaDB: `SET STATEMENT max_statement_time=… FOR` bounds the statement, its wait for the row included, in its own
 * packet, to the millisecond; past it the statement fails with ER_STATEMENT_TIMEOUT (1969) and is rolled back, the
 * transaction left open.
 */
const mariadb: GaplessDialect = {
  ...mysqlShared,
  increment: (series, period, waitMs) => ({
    sql: `SET STATEMENT max_statement_time=${(waitMs / 1000).toFixed(3)} FOR ${MYSQL_UPSERT}`,
    params: [series, period],
  }),
};

/**
 * MySQL 8 has no SET STATEMENT, and no statement hint for InnoDB's lock wait: the session's `innodb_lock_wait_timeout`
 * is lowered around the statement and put back after it (two more round trips, whole seconds, at least 1).
 */
const mysql: GaplessDialect = {
  ...mysqlShared,
  increment: (series, period, waitMs) => ({
    sql: MYSQL_UPSERT,
    params: [series, period],
    before:
      'SET @leaf_gapless_lock_wait = @@SESSION.innodb_lock_wait_timeout, ' +
      `SESSION innodb_lock_wait_timeout = ${Math.max(1, Math.ceil(waitMs / 1000))}`,
    after: 'SET SESSION innodb_lock_wait_timeout = @leaf_gapless_lock_wait',
  }),
};

/** SQLite (3.35+ for RETURNING): the wait for the database's write lock is bounded by the executor (sqlite-wait.ts). */
const sqlite: GaplessDialect = {
  // No table read: the transaction takes no lock, so the upsert can still wait for the write lock.
  clockSql: "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') AS now_utc",
  increment: (series, period) => ({
    sql:
      'INSERT INTO leaf_gapless (series, period, value, update_time) VALUES (?, ?, 1, CURRENT_TIMESTAMP) ' +
      'ON CONFLICT (series, period) DO UPDATE SET value = value + 1, update_time = CURRENT_TIMESTAMP ' +
      'RETURNING CAST(value AS TEXT) AS value',
    params: [series, period],
  }),
  value: returned,
  counterSql: 'SELECT CAST(value AS TEXT) AS value FROM leaf_gapless WHERE series = ? AND period = ?',
  placeholder: () => '?',
  quote: (identifier) => `"${identifier}"`,
};

const DIALECTS: Record<GaplessEngine, GaplessDialect> = { postgres, mariadb, mysql, sqlite };

export function gaplessDialect(engine: GaplessEngine): GaplessDialect {
  return DIALECTS[engine];
}

/** What a failed statement means for the caller: a wait past the bound, a conflict to retry, or no table. */
export type GaplessFailure = 'timeout' | 'conflict' | 'missing-table';

const FAILURES: ReadonlyArray<readonly [GaplessFailure, ReadonlyArray<string | number>]> = [
  // PostgreSQL lock_not_available, query_canceled (the caller's statement_timeout); MySQL/MariaDB lock wait timeout,
  // MariaDB max_statement_time, MySQL max_execution_time.
  ['timeout', ['55P03', '57014', 1205, 1969, 3024]],
  // Deadlock (and Galera's certification failure, reported as one), MariaDB's snapshot isolation (ER_CHECKREAD);
  // PostgreSQL serialization failure and deadlock; SQLite's stale WAL snapshot.
  ['conflict', [1213, 1020, '40001', '40P01', 'SQLITE_BUSY_SNAPSHOT']],
  ['missing-table', ['42P01', 1146]],
];

export function gaplessFailure(error: unknown): GaplessFailure | undefined {
  if ((error as { name?: unknown } | null)?.name === 'SqliteLockWaitError') return 'timeout';
  const codes = codesOf(error);
  for (const [failure, known] of FAILURES) if (codes.some((code) => known.includes(code))) return failure;
  return /no such table: leaf_gapless/i.test(String((error as { message?: unknown } | null)?.message))
    ? 'missing-table'
    : undefined;
}

/**
 * Whether running the caller's transaction again may cure `error`: a `GaplessBusyError`, or the engine's own word for a
 * conflict or a lock wait, from any statement of the transaction, its COMMIT included (a Galera certification failure
 * comes at the commit, as 1213; a SERIALIZABLE transaction's at the commit too, as 40001). For a retry loop around the
 * whole transaction.
 */
export function isGaplessRetryable(error: unknown): boolean {
  if (error instanceof GaplessBusyError) return true;
  const failure = gaplessFailure(error);
  return failure === 'timeout' || failure === 'conflict';
}

/** The codes on an error and on those it wraps (TypeORM's `driverError`, a `cause`). */
function codesOf(error: unknown, depth = 0): Array<string | number> {
  if (error === null || typeof error !== 'object' || depth > 3) return [];
  const { code, errno, driverError, cause } = error as Record<string, unknown>;
  return [
    ...(typeof code === 'string' || typeof code === 'number' ? [code] : []),
    ...(typeof errno === 'number' ? [errno] : []),
    ...codesOf(driverError, depth + 1),
    ...codesOf(cause, depth + 1),
  ];
}

const UTC = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/** Milliseconds since the epoch of the `now_utc` a clock statement returned; undefined when it is not one. */
export function instantOf(nowUtc: unknown): number | undefined {
  const match = typeof nowUtc === 'string' ? UTC.exec(nowUtc) : null;
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '0'] = match;
  const date = new Date(0);
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second), Number(fraction.padEnd(3, '0').slice(0, 3)));
  return date.getTime();
}
