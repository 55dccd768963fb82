import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor, type Endpoint, type FailoverPair, type Role } from './common.js';
import { pgOsUser, PrivatePgServer } from './pg-server.js';

export interface PgIdentity {
  /** The timeline: 1 on a new cluster, one more at each promotion. */
  readonly timeline: number;
  /** Made by initdb and copied by pg_basebackup: the same on both servers of a pair, before and after a failover. */
  readonly systemIdentifier: string;
  readonly inRecovery: boolean;
}

export interface PrivatePgPairOptions {
  /** The database created on the primary (and so on the replica). Default 'leaf'. */
  readonly database?: string;
  /** Bound of each wait: a start, streaming, a cut, a promotion. Default 30,000 ms. */
  readonly timeoutMs?: number;
}

/**
 * A PostgreSQL primary and its asynchronous streaming replica, private (see pg-server.ts), in one directory under
 * the OS temp dir owned by the `postgres` OS user.
 *
 * ```ts
 * const pair = await PrivatePgPair.start();   // streaming once it resolves
 * await pair.cutReplication();                 // the replica receives no more WAL
 * await pair.query('primary', 'UPDATE ...');   // a write the replica never sees
 * await pair.killPrimary();                    // kill -9 of the postmaster and its children
 * await pair.promote();                        // the replica, writable, on timeline + 1
 * await pair.dispose();
 * ```
 */
export class PrivatePgPair implements FailoverPair<PgIdentity> {
  private replicaServer: PrivatePgServer | null = null;
  private disposed = false;

  private constructor(
    /** Holds both data directories and their logs; deleted by `dispose()`. */
    readonly dir: string,
    readonly primary: PrivatePgServer,
    readonly database: string,
    private readonly timeoutMs: number,
  ) {}

  static async start(options: PrivatePgPairOptions = {}): Promise<PrivatePgPair> {
    const dir = mkdtempSync(join(tmpdir(), 'leaf-pg-'));
    const owner = pgOsUser();
    chownSync(dir, owner.uid, owner.gid);
    chmodSync(dir, 0o700);
    const timeoutMs = options.timeoutMs ?? 30_000;
    const database = options.database ?? 'leaf';
    let pair: PrivatePgPair | undefined;
    try {
      const primary = await PrivatePgServer.initdb(join(dir, 'primary'), 'pg primary');
      pair = new PrivatePgPair(dir, primary, database, timeoutMs);
      await primary.start(timeoutMs);
      await primary.query(`CREATE DATABASE ${database}`);
      pair.replicaServer = await PrivatePgServer.basebackup(primary, join(dir, 'replica'), 'pg replica');
      await pair.replicaServer.start(timeoutMs);
      await pair.waitStreaming();
      return pair;
    } catch (error) {
      if (pair) await pair.dispose().catch(() => undefined);
      else rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  get replica(): PrivatePgServer {
    if (!this.replicaServer) throw new Error('PrivatePgPair: no replica (start failed or disposed)');
    return this.replicaServer;
  }

  server(role: Role): PrivatePgServer {
    return role === 'primary' ? this.primary : this.replica;
  }

  endpoint(role: Role): Endpoint {
    return this.server(role).endpoint(this.database);
  }

  /** One statement in the pair's database on a connection of its own. */
  query<Row = Record<string, unknown>>(role: Role, sql: string, params: unknown[] = []): Promise<Row[]> {
    return this.server(role).query<Row>(sql, params, this.database);
  }

  /** Both ends agree: the primary's walsender and the replica's walreceiver are streaming. */
  async waitStreaming(): Promise<void> {
    await waitFor(
      'PrivatePgPair: replica streaming from the primary (pg_stat_replication)',
      this.timeoutMs,
      async () => {
        const sending = await this.primary.query<{ state: string }>('SELECT state FROM pg_stat_replication');
        const receiving = await this.replica.query<{ status: string }>('SELECT status FROM pg_stat_wal_receiver');
        return sending.some((row) => row.state === 'streaming') && receiving[0]?.status === 'streaming';
      },
      () => `${this.primary.logTail()}\n${this.replica.logTail()}`,
    );
  }

  /**
   * The replica stops receiving WAL, as behind a network partition: without primary_conninfo its walreceiver exits
   * and does not come back. (`pg_wal_replay_pause()` would lose nothing: promotion replays what was received.)
   */
  async cutReplication(): Promise<void> {
    await this.replica.query("ALTER SYSTEM SET primary_conninfo = ''");
    await this.replica.query('SELECT pg_reload_conf()');
    await waitFor(
      'PrivatePgPair: replica walreceiver to stop after the cut',
      this.timeoutMs,
      async () => (await this.replica.query('SELECT 1 FROM pg_stat_wal_receiver')).length === 0,
      () => this.replica.logTail(),
    );
  }

  async killPrimary(): Promise<void> {
    await this.primary.kill();
  }

  async promote(): Promise<void> {
    const [row] = await this.replica.query<{ promoted: boolean }>('SELECT pg_promote(true, 30) AS promoted');
    if (!row?.promoted)
      throw new Error(`PrivatePgPair: pg_promote did not complete in 30 s\n${this.replica.logTail()}`);
    await waitFor(
      'PrivatePgPair: promoted replica to accept writes',
      this.timeoutMs,
      async () => {
        const [state] = await this.replica.query<{ recovery: boolean; read_only: string }>(
          "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only",
        );
        return !state.recovery && state.read_only === 'off';
      },
      () => this.replica.logTail(),
    );
  }

  /**
   * On a primary, the timeline of the WAL it writes now. A standby writes none: its walreceiver's timeline while it
   * streams, else its last restartpoint's.
   */
  async identity(role: Role): Promise<PgIdentity> {
    const [row] = await this.server(role).query<{ system_identifier: string; recovery: boolean; tli: string }>(
      `SELECT (SELECT system_identifier::text FROM pg_control_system()) AS system_identifier,
              pg_is_in_recovery() AS recovery,
              CASE WHEN pg_is_in_recovery()
                   THEN COALESCE((SELECT received_tli FROM pg_stat_wal_receiver),
                                 (SELECT timeline_id FROM pg_control_checkpoint()))::text
                   ELSE substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END AS tli`,
    );
    const timeline = row.recovery ? Number(row.tli) : parseInt(row.tli, 16);
    return { timeline, systemIdentifier: row.system_identifier, inRecovery: row.recovery };
  }

  /** Kills both servers and deletes their directory. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    try {
      await Promise.all([this.primary.dispose(), this.replicaServer?.dispose()]);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
