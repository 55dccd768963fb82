/**
 * The SQL that differs between engines. Everything else about the store is shared.
 * Every statement is parameterized; table and column names are fixed by the Leaf contract.
 */
export interface SqlDialect {
  readonly name: string;
  /** Placeholder of the n-th (1-based) parameter. */
  placeholder(n: number): string;
  /**
   * Adds the step to `max_id` unless that would pass 2^63-1, and yields the new `max_id`, in one statement.
   * Parameters: step, biz tag, step.
   */
  readonly reserveSql: string;
  /** The new `max_id` from the structured result of `reserveSql`, or undefined when no row was updated. */
  reservedMaxId(raw: unknown, records: unknown[]): string | bigint | number | undefined;
  /**
   * Compare-and-set of `max_id`. Parameters: new max_id, biz tag, expected max_id, both as decimal strings
   * and cast in SQL, because MySQL compares a string with an integer as a double.
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
}

const GUARD = 'max_id <= 9223372036854775807 -';

export const mysqlDialect: SqlDialect = {
  name: 'mysql',
  placeholder: () => '?',
  // LAST_INSERT_ID(expr) hands the new max_id back in the OK packet: no SELECT, no transaction,
  // and the row lock is held for one statement instead of four round trips.
  reserveSql:
    'UPDATE leaf_alloc SET max_id = LAST_INSERT_ID(max_id + ?), update_time = CURRENT_TIMESTAMP ' +
    `WHERE biz_tag = ? AND ${GUARD} ?`,
  reservedMaxId: (raw) => {
    const header = raw as { affectedRows?: number; insertId?: number | string };
    return header.affectedRows === 1 ? header.insertId : undefined;
  },
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
};

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  placeholder: (n) => `$${n}`,
  reserveSql:
    'UPDATE leaf_alloc SET max_id = max_id + $1, update_time = CURRENT_TIMESTAMP ' +
    `WHERE biz_tag = $2 AND ${GUARD} $3 RETURNING max_id::text AS max_id`,
  reservedMaxId: (_raw, records) => (records[0] as { max_id?: string } | undefined)?.max_id,
  giveBackSql:
    'UPDATE leaf_alloc SET max_id = $1::bigint, update_time = CURRENT_TIMESTAMP WHERE biz_tag = $2 AND max_id = $3::bigint',
  selectMaxIdSql: 'SELECT max_id::text AS max_id FROM leaf_alloc WHERE biz_tag = $1',
  insertIgnoringDuplicates: (values) =>
    `INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES ${values} ON CONFLICT (biz_tag) DO NOTHING`,
  insertSql: 'INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES ($1, $2::bigint, $3, $4)',
  isMissingTable: (error) => (error as { code?: string }).code === '42P01',
  isDuplicateKey: (error) => (error as { code?: string }).code === '23505',
};

export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  placeholder: () => '?',
  // better-sqlite3 binds JS numbers as REAL, and INTEGER + REAL is computed in floating point: past 2^53
  // that loses IDs silently, so the step is cast back to INTEGER. An overflowing sum would also turn into a
  // REAL, which the guard prevents; the result comes back as text because the driver hands out JS numbers.
  reserveSql:
    'UPDATE leaf_alloc SET max_id = max_id + CAST(? AS INTEGER), update_time = CURRENT_TIMESTAMP ' +
    `WHERE biz_tag = ? AND ${GUARD} CAST(? AS INTEGER) RETURNING CAST(max_id AS TEXT) AS max_id`,
  reservedMaxId: (_raw, records) => (records[0] as { max_id?: string } | undefined)?.max_id,
  giveBackSql:
    'UPDATE leaf_alloc SET max_id = CAST(? AS INTEGER), update_time = CURRENT_TIMESTAMP ' +
    'WHERE biz_tag = ? AND max_id = CAST(? AS INTEGER)',
  selectMaxIdSql: 'SELECT CAST(max_id AS TEXT) AS max_id FROM leaf_alloc WHERE biz_tag = ?',
  insertIgnoringDuplicates: (values) =>
    `INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES ${values} ON CONFLICT (biz_tag) DO NOTHING`,
  insertSql: 'INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES (?, CAST(? AS INTEGER), ?, ?)',
  isMissingTable: (error) => /no such table/i.test(String((error as { message?: unknown }).message)),
  isDuplicateKey: (error) => String((error as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT'),
};

/** The dialect for a TypeORM driver type, or undefined when the engine is not supported. */
export function dialectFor(type: string): SqlDialect | undefined {
  switch (type) {
    case 'mysql':
    case 'mariadb':
      return mysqlDialect;
    case 'postgres':
      return postgresDialect;
    case 'better-sqlite3':
      return sqliteDialect;
    default:
      return undefined;
  }
}
