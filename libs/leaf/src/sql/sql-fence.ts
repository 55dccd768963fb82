import { FenceRequiredError } from '../errors/fence-required.error.js';
import { LeafStoreError } from '../errors/leaf-store.error.js';
import { FENCE_MARKER } from '../store/fence-marker.js';
import type { FenceOutcome, FenceSkips } from '../store/leaf-store.js';
import type { SqlExecutor, SqlTransaction } from './sql-executor.js';
import { MARKER_READ, moveRows } from './sql-fence-moves.js';
import { identityExpression, type SqlServerKind } from './sql-identity.js';

const MARKER = `'${FENCE_MARKER}'`;

/**
 * Failover fencing of `leaf_alloc` on PostgreSQL and MySQL/MariaDB. Asynchronous replication can promote a replica
 * that lacks the primary's last reservations, whose IDs are in use. The row `__nest_leaf_fence__` of the table itself
 * (no new table, no new column), replicated with the others, holds in `description` the server the table was last
 * fenced for (see `sql-identity.ts`); every statement that moves `max_id` (a reservation, a give-back) carries the
 * condition that the marker names the server it runs on, in the same statement, so none slips through on a promoted
 * server. A reservation refused so is a `FenceRequiredError`; `fence` moves every row ahead by its skip and makes the
 * marker name the server, in one transaction that locks the marker first: concurrent nodes fence once.
 */
export class SqlFence {
  private expression?: Promise<string>;

  constructor(
    private readonly executor: SqlExecutor,
    /** Which server answers (a MySQL-protocol executor may reach MariaDB). */
    private readonly kindOf: (signal?: AbortSignal) => Promise<SqlServerKind>,
  ) {}

  /** `sql`, an UPDATE of one row, with the condition that the marker names this server. */
  async guarded(sql: string, signal?: AbortSignal): Promise<string> {
    const kind = await this.kindOf(signal);
    const identity = await this.identity(kind, signal);
    const condition =
      kind === 'postgres'
        ? `EXISTS (SELECT 1 FROM leaf_alloc AS leaf_fence WHERE leaf_fence.biz_tag = ${MARKER} ` +
          `AND leaf_fence.description = ${identity})`
        : // MySQL refuses a subquery on the table an UPDATE changes (ER_UPDATE_TABLE_USED) unless it reads a derived
          // table that is materialized, which LIMIT forces; MariaDB takes it too.
          `(SELECT leaf_fence.description FROM (SELECT description FROM leaf_alloc WHERE biz_tag = ${MARKER} ` +
          `LIMIT 1) AS leaf_fence) = ${identity}`;
    const returning = sql.indexOf(' RETURNING ');
    return returning < 0
      ? `${sql} AND ${condition}`
      : `${sql.slice(0, returning)} AND ${condition}${sql.slice(returning)}`;
  }

  /**
   * After a guarded statement matched no row: `FenceRequiredError` when the marker names another server, `'made'`
   * when the table had no marker (one was made now, by this node or a concurrent one: try again), or `'same'` when
   * the marker names this server: a fence or a marker landed since the statement read it (on Galera, a marker made
   * through another member may not have been applied yet), so try again; a second miss has another cause.
   */
  async check(signal?: AbortSignal): Promise<FenceRequiredError | 'made' | 'same'> {
    const kind = await this.kindOf(signal);
    const identity = await this.identity(kind, signal);
    const [row] = (
      await this.executor.query(
        `SELECT (SELECT description FROM leaf_alloc WHERE biz_tag = ${MARKER}) AS marker, ${identity} AS identity`,
        [],
        signal,
      )
    ).rows as Array<{ marker: string | null; identity: string }>;
    if (row.marker === row.identity) return 'same';
    const autocommit: SqlTransaction = { query: (sql, params) => this.executor.query(sql, params, signal) };
    // Made here, or by a node booting at the same time (whose marker names this server too, or the next try says not).
    if (row.marker === null) return (await insertMarker(autocommit, kind, identity), 'made');
    return new FenceRequiredError(row.identity, row.marker);
  }

  /**
   * Fences the table for the server it runs on: in one transaction, locks the marker (making it when missing); when
   * it names another server, moves every row ahead by its skip (never past 2^63-1), and makes it name this one.
   */
  async fence(skips: FenceSkips, signal?: AbortSignal): Promise<FenceOutcome> {
    const kind = await this.kindOf(signal);
    const expression = await this.identity(kind, signal);
    const [{ identity }] = (await this.executor.query(`SELECT ${expression} AS identity`, [], signal)).rows as Array<{
      identity: string;
    }>;
    return this.executor.transaction(async (tx) => {
      await insertMarker(tx, kind, 'NULL');
      const [row] = (await tx.query(MARKER_READ, [])).rows as Array<{ marker: string | null }>;
      const previous = row?.marker ?? null;
      const rows = previous === null || previous === identity ? 0 : await moveRows(tx, kind, skips);
      if (previous !== identity) {
        const p = kind === 'postgres' ? '$1' : '?';
        await tx.query(
          `UPDATE leaf_alloc SET description = ${p}, update_time = CURRENT_TIMESTAMP WHERE biz_tag = ${MARKER}`,
          [identity],
        );
      }
      return { fenced: rows > 0 || (previous !== null && previous !== identity), identity, previous, rows };
    }, signal);
  }

  private identity(kind: SqlServerKind, signal?: AbortSignal): Promise<string> {
    this.expression ??= identityExpression(this.executor, kind, signal).catch((error: unknown) => {
      this.expression = undefined;
      throw error;
    });
    return this.expression;
  }
}

/** Makes the marker unless there is one, naming `identity` (an SQL expression); whether it made it. */
async function insertMarker(tx: SqlTransaction, kind: SqlServerKind, identity: string): Promise<boolean> {
  const insert = `INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES (${MARKER}, 1, 1, ${identity})`;
  if (kind === 'postgres') {
    return (await tx.query(`${insert} ON CONFLICT (biz_tag) DO NOTHING RETURNING biz_tag`, [])).rows.length === 1;
  }
  return (await tx.query(`${insert} ON DUPLICATE KEY UPDATE biz_tag = biz_tag`, [])).affected === 1;
}

/**
 * `fence` on a store that does not fence: on SQLite, which has no replicas to fail over to, there is nothing to fence
 * (an outcome that moved nothing); with `fencing: false`, a `LeafStoreError`.
 */
export function unfenced(location: string, engine: string, store: string): Promise<FenceOutcome> {
  if (engine === 'sqlite') {
    return Promise.resolve({ fenced: false, identity: 'sqlite (no replication)', previous: null, rows: 0 });
  }
  return Promise.reject(
    new LeafStoreError(
      `${location} cannot be fenced: its ${store} runs with fencing: false. Turn fencing on (the default) ` +
        'to have a failover to a replica fenced.',
    ),
  );
}
