import { LeafStoreError } from '../errors/leaf-store.error.js';
import type { SqlEngine, SqlResult } from './sql-executor.js';

/**
 * Every statement the SQL store runs, per engine: what differs between engines and what does not, in one file.
 * Every statement is parameterized; table and column names are fixed by the Leaf contract.
 */
export interface SqlDialect {
  readonly name: string;
  /** Placeholder of the n-th (1-based) parameter. */
  placeholder(n: number): string;
  /** Every row's tag and step. */
  readonly listSql: string;
  /** The row(s) the table's collation matches to a tag. Parameter: biz tag. */
  readonly findSql: string;
  /** Sets a row's base step, leaving `max_id` alone. Parameters: step, biz tag. */
  readonly setStepSql: string;
  /**
   * Adds the step to `max_id` unless that would pass 2^63-1, and yields the new `max_id`, in one statement.
   * Parameters: step, biz tag, step; then whatever `bounded` adds, which every caller runs it through.
   */
  readonly reserveSql: string;
  /** The new `max_id` from the structured result of `reserveSql`, or undefined when no row was updated. */
  reservedMaxId(result: SqlResult): string | bigint | number | undefined;
  /**
   * Compare-and-set of `max_id`. Parameters: new max_id, biz tag, expected max_id, both as decimal strings
   * and cast in SQL, because MySQL compares a string with an integer as a double; then whatever `bounded` adds.
   */
  readonly giveBackSql: string;
  /** `max_id` as text (never a JS number) for one tag; parameter: biz tag. */
  readonly selectMaxIdSql: string;
  /** Inserts rows and ignores those that exist; `values` is the `(…), (…)` list. */
  insertIgnoringDuplicates(values: string): string;
  /** Inserts one row. Parameters: biz tag, max_id as a decimal string, step, description. */
  readonly insertSql: string;
  /** Whether a driver error means the `leaf_alloc` table does not exist. */
  isMissingTable(error: unknown): boolean;
  /** Whether a driver error is a primary key violation. */
  isDuplicateKey(error: unknown): boolean;
  /**
   * `reserveSql` or `giveBackSql` with its parameters, bounded on the server to `ms` (a positive integer): a wait
   * for the row lock longer than that makes the server roll the statement back with an error `isServerTimeout`
   * recognises, instead of applying it after the client gave up on it.
   */
  bounded(sql: string, params: readonly unknown[], ms: number): BoundedStatement;
  /** Whether a driver error is the server giving up at the bound of `bounded` (or at a lock timeout of its own). */
  isServerTimeout(error: unknown): boolean;
}

/** A statement bounded on the server, and what must run around it on the same connection. */
export interface BoundedStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
  /** The bound as sent, for messages: `max_statement_time=0.900`. */
  readonly limit: string;
  /** Runs first, a round trip of its own (MySQL only). */
  readonly before?: string;
  /** Runs after `sql`, failed or not (MySQL only): puts back what `before` changed in the session. */
  readonly after?: string;
}

const GUARD = 'max_id <= 9223372036854775807 -';

/** The statements that read the same on every engine but for their placeholders. */
function shared(
  placeholder: (n: number) => string,
): Pick<SqlDialect, 'placeholder' | 'listSql' | 'findSql' | 'setStepSql'> {
  const [first, second] = [placeholder(1), placeholder(2)];
  return {
    placeholder,
    listSql: 'SELECT biz_tag, step FROM leaf_alloc',
    findSql: `SELECT biz_tag, step FROM leaf_alloc WHERE biz_tag = ${first}`,
    setStepSql: `UPDATE leaf_alloc SET step = ${first}, update_time = CURRENT_TIMESTAMP WHERE biz_tag = ${second}`,
  };
}

export const mysqlDialect: SqlDialect = {
  name: 'mysql',
  ...shared(() => '?'),
  // LAST_INSERT_ID(expr) hands the new max_id back in the OK packet: no SELECT, no transaction,
  // and the row lock is held for one statement instead of four round trips.
  reserveSql:
    'UPDATE leaf_alloc SET max_id = LAST_INSERT_ID(max_id + ?), update_time = CURRENT_TIMESTAMP ' +
    `WHERE biz_tag = ? AND ${GUARD} ?`,
  reservedMaxId: ({ affected, insertId }) => (affected === 1 ? insertId : undefined),
  giveBackSql:
    'UPDATE leaf_alloc SET max_id = CAST(? AS SIGNED), update_time = CURRENT_TIMESTAMP ' +
    'WHERE biz_tag = ? AND max_id = CAST(? AS SIGNED)',
  selectMaxIdSql: 'SELECT CAST(max_id AS CHAR) AS max_id FROM leaf_alloc WHERE biz_tag = ?',
  insertIgnoringDuplicates: (values) =>
    // A no-op update rather than INSERT IGNORE, which would also swallow truncation and other errors.
    `INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES ${values} ON DUPLICATE KEY UPDATE biz_tag = biz_tag`,
  insertSql: 'INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES (?, CAST(? AS SIGNED), ?, ?)',
  isMissingTable: (error) => (error as { errno?: number }).errno === 1146,
  isDuplicateKey: (error) => (error as { errno?: number }).errno === 1062,
  // MySQL 8 has neither SET STATEMENT nor a per-statement hint for InnoDB's lock wait (SET_VAR does not take
  // innodb_lock_wait_timeout), and max_execution_time bounds read-only SELECTs only: the session's lock wait is
  // lowered around the statement, and put back after it, as the connection is the application's pool's. Whole
  // seconds, at least 1: with reservationTimeoutMs under about 1.1 s the server's bound is not below the client's.
  bounded: (sql, params, ms) => {
    const seconds = Math.max(1, Math.floor(ms / 1000));
    return {
      sql,
      params,
      limit: `innodb_lock_wait_timeout=${seconds}`,
      before:
        'SET @leaf_lock_wait_timeout = @@SESSION.innodb_lock_wait_timeout, ' +
        `SESSION innodb_lock_wait_timeout = ${seconds}`,
      after: 'SET SESSION innodb_lock_wait_timeout = @leaf_lock_wait_timeout',
    };
  },
  // ER_LOCK_WAIT_TIMEOUT; MariaDB's ER_STATEMENT_TIMEOUT (max_statement_time), which rolls the statement back too.
  isServerTimeout: (error) => [1205, 1969].includes((error as { errno?: number }).errno ?? 0),
};

/**
 * MariaDB: the MySQL dialect, with a bound that costs no round trip. `SET STATEMENT … FOR` applies a session
 * variable to one statement and puts it back after it, in the statement's own packet; LAST_INSERT_ID(expr) still
 * comes back in the OK packet. max_statement_time takes fractions of a second and, on 10.11 (tested), covers the
 * wait for a row lock: the statement fails with ER_STATEMENT_TIMEOUT (1969, SQLSTATE 70100) and is rolled back.
 */
export const mariadbDialect: SqlDialect = {
  ...mysqlDialect,
  bounded: (sql, params, ms) => {
    const limit = `max_statement_time=${(ms / 1000).toFixed(3)}`;
    return { sql: `SET STATEMENT ${limit} FOR ${sql}`, params, limit };
  },
};

/**
 * PostgreSQL's bound, inside the statement: statement_timeout is read when a statement starts, but lock_timeout when
 * a lock wait starts. The sub-select is an InitPlan, a one-time filter run before the row is scanned, so the setting
 * is in place before the UPDATE ever waits for the row; `is_local` ends it with the statement's own (implicit)
 * transaction, leaving the pooled session as it was. A wait past it fails with lock_not_available (55P03) and the
 * statement is rolled back. Parameter 4: the bound, `900ms`.
 */
const PG_BOUND = "(SELECT set_config('lock_timeout', $4, true)) IS NOT NULL";

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  ...shared((n) => `$${n}`),
  reserveSql:
    'UPDATE leaf_alloc SET max_id = max_id + $1, update_time = CURRENT_TIMESTAMP ' +
    `WHERE biz_tag = $2 AND ${GUARD} $3 AND ${PG_BOUND} RETURNING max_id::text AS max_id`,
  reservedMaxId: ({ rows }) => rows[0]?.max_id as string | undefined,
  giveBackSql:
    'UPDATE leaf_alloc SET max_id = $1::bigint, update_time = CURRENT_TIMESTAMP ' +
    `WHERE biz_tag = $2 AND max_id = $3::bigint AND ${PG_BOUND}`,
  selectMaxIdSql: 'SELECT max_id::text AS max_id FROM leaf_alloc WHERE biz_tag = $1',
  insertIgnoringDuplicates: (values) =>
    `INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES ${values} ON CONFLICT (biz_tag) DO NOTHING`,
  insertSql: 'INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES ($1, $2::bigint, $3, $4)',
  isMissingTable: (error) => (error as { code?: string }).code === '42P01',
  isDuplicateKey: (error) => (error as { code?: string }).code === '23505',
  bounded: (sql, params, ms) => ({ sql, params: [...params, `${ms}ms`], limit: `lock_timeout=${ms}ms` }),
  // lock_not_available (lock_timeout); query_canceled, should the host's own statement_timeout end it first.
  isServerTimeout: (error) => ['55P03', '57014'].includes((error as { code?: string }).code ?? ''),
};

export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  ...shared(() => '?'),
  // better-sqlite3 binds JS numbers as REAL, and INTEGER + REAL is computed in floating point: past 2^53
  // that loses IDs silently, so the step is cast back to INTEGER. An overflowing sum would also turn into a
  // REAL, which the guard prevents; the result comes back as text because the driver hands out JS numbers.
  reserveSql:
    'UPDATE leaf_alloc SET max_id = max_id + CAST(? AS INTEGER), update_time = CURRENT_TIMESTAMP ' +
    `WHERE biz_tag = ? AND ${GUARD} CAST(? AS INTEGER) RETURNING CAST(max_id AS TEXT) AS max_id`,
  reservedMaxId: ({ rows }) => rows[0]?.max_id as string | undefined,
  giveBackSql:
    'UPDATE leaf_alloc SET max_id = CAST(? AS INTEGER), update_time = CURRENT_TIMESTAMP ' +
    'WHERE biz_tag = ? AND max_id = CAST(? AS INTEGER)',
  selectMaxIdSql: 'SELECT CAST(max_id AS TEXT) AS max_id FROM leaf_alloc WHERE biz_tag = ?',
  insertIgnoringDuplicates: (values) =>
    `INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES ${values} ON CONFLICT (biz_tag) DO NOTHING`,
  insertSql: 'INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES (?, CAST(? AS INTEGER), ?, ?)',
  isMissingTable: (error) => /no such table/i.test(String((error as { message?: unknown }).message)),
  isDuplicateKey: (error) => String((error as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT'),
  // Nothing to bound: better-sqlite3 runs each attempt synchronously and the store stops trying when the signal
  // fires (sqlite-statement.ts), so no statement is left running on its own to land later.
  bounded: (sql, params) => ({ sql, params, limit: 'none' }),
  isServerTimeout: () => false,
};

/**
 * The dialect for a TypeORM driver type (or an engine name: `sqlite`), or undefined when the engine is not supported. `mysql` and `mariadb` both
 * get the MySQL dialect: which server answers is known once connected (the store then takes `mariadbDialect`).
 */
export function dialectFor(type: string): SqlDialect | undefined {
  switch (type) {
    case 'mysql':
    case 'mariadb':
      return mysqlDialect;
    case 'postgres':
      return postgresDialect;
    case 'better-sqlite3':
    case 'sqlite':
      return sqliteDialect;
    default:
      return undefined;
  }
}

/**
 * The statements of an executor's engine (`dialectFor` reads a TypeORM driver type instead); `'mysql'` is the MySQL
 * dialect until the server is known to be MariaDB.
 */
export function dialectOf(engine: SqlEngine): SqlDialect {
  switch (engine) {
    case 'mysql':
      return mysqlDialect;
    case 'mariadb':
      return mariadbDialect;
    case 'postgres':
      return postgresDialect;
    case 'sqlite':
      return sqliteDialect;
    default:
      throw new LeafStoreError(
        `SqlLeafStore does not support the engine "${String(engine)}": its executor must say postgres, mysql, ` +
          'mariadb or sqlite.',
      );
  }
}
