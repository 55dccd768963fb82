import mysql from 'mysql2/promise';
import { PrivateMariaDb } from '../private-mariadb.js';
import { waitFor, type Endpoint, type FailoverPair, type Role } from './common.js';

export interface MariaDbIdentity {
  readonly serverId: number;
  /** MySQL's; MariaDB has none (undefined there). */
  readonly serverUuid?: string;
  readonly gtidDomainId: number;
  readonly gtidCurrentPos: string;
  readonly readOnly: boolean;
  /** Present when the server has the semisync variables (built in since MariaDB 10.3). */
  readonly semiSync?: { readonly masterEnabled: boolean; readonly masterTimeoutMs: number };
}

export interface PrivateMariaDbPairOptions {
  /** Created on the primary once the replica runs, so its arrival proves replication. Default 'leaf'. */
  readonly database?: string;
  /** Bound of each wait. Default 30,000 ms. */
  readonly timeoutMs?: number;
  /** More `mariadbd` options for both servers (e.g. semisync settings). */
  readonly serverArgs?: readonly string[];
}

/** Binary log in row format, GTIDs strict: what a failover test of an ID store would run in production. */
const REPLICATION_ARGS = ['--log-bin=leaf-bin', '--binlog-format=ROW', '--gtid-strict-mode=ON', '--log-slave-updates'];

type Row = Record<string, unknown>;

/**
 * A MariaDB primary (server_id 1) and its asynchronous GTID replica (server_id 2, read_only), each a
 * `PrivateMariaDb` (own datadir, port and socket under the OS temp dir; exit hook and watchdog included).
 */
export class PrivateMariaDbPair implements FailoverPair<MariaDbIdentity> {
  private disposed = false;

  private constructor(
    readonly primary: PrivateMariaDb,
    readonly replica: PrivateMariaDb,
    readonly database: string,
    private readonly timeoutMs: number,
  ) {}

  static async start(options: PrivateMariaDbPairOptions = {}): Promise<PrivateMariaDbPair> {
    const extra = [...REPLICATION_ARGS, ...(options.serverArgs ?? [])];
    const started = await Promise.allSettled([
      PrivateMariaDb.start({ serverArgs: ['--server-id=1', ...extra] }),
      PrivateMariaDb.start({ serverArgs: ['--server-id=2', '--read-only=ON', ...extra] }),
    ]);
    const [primary, replica] = started.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
    if (!primary || !replica) {
      await Promise.all([primary?.dispose(), replica?.dispose()]);
      throw (started.find((result) => result.status === 'rejected') as PromiseRejectedResult).reason;
    }
    const pair = new PrivateMariaDbPair(primary, replica, options.database ?? 'leaf', options.timeoutMs ?? 30_000);
    try {
      await pair.query(
        'replica',
        `CHANGE MASTER TO MASTER_HOST='${primary.host}', MASTER_PORT=${primary.port}, MASTER_USER='root', ` +
          "MASTER_PASSWORD='', MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=slave_pos",
        [],
        null,
      );
      await pair.query('replica', 'START SLAVE', [], null);
      await pair.query('primary', `CREATE DATABASE ${pair.database}`, [], null);
      await pair.waitFor('replica to have the database created on the primary', async () => {
        const status = await pair.slaveStatus();
        if (status?.Last_IO_Error || status?.Last_SQL_Error)
          throw new Error(String(status.Last_IO_Error || status.Last_SQL_Error));
        const found = await pair.query('replica', 'SHOW DATABASES LIKE ?', [pair.database], null);
        return status?.Slave_IO_Running === 'Yes' && status.Slave_SQL_Running === 'Yes' && found.length === 1;
      });
      return pair;
    } catch (error) {
      await pair.dispose().catch(() => undefined);
      throw error;
    }
  }

  server(role: Role): PrivateMariaDb {
    return role === 'primary' ? this.primary : this.replica;
  }

  endpoint(role: Role): Endpoint {
    const server = this.server(role);
    return {
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      database: this.database,
    };
  }

  /** One statement on a connection of its own, in the pair's database unless `database` is null. */
  async query<T extends Row = Row>(
    role: Role,
    sql: string,
    params: unknown[] = [],
    database: string | null = this.database,
  ): Promise<T[]> {
    const options = this.server(role).connectionOptions(database ?? undefined);
    const connection = await mysql.createConnection({ ...options, connectTimeout: 2000 });
    try {
      const [rows] = await connection.query(sql, params);
      return (Array.isArray(rows) ? rows : []) as T[];
    } finally {
      connection.destroy();
    }
  }

  /** `SHOW SLAVE STATUS` of the replica; undefined once `RESET SLAVE ALL` made it a primary. */
  async slaveStatus(): Promise<Row | undefined> {
    return (await this.query('replica', 'SHOW SLAVE STATUS', [], null))[0];
  }

  /** The IO thread stops: the replica receives no more binlog events (what it has, it still applies). */
  async cutReplication(): Promise<void> {
    await this.query('replica', 'STOP SLAVE IO_THREAD', [], null);
    await this.waitFor('replica IO thread to stop', async () => (await this.slaveStatus())?.Slave_IO_Running === 'No');
  }

  async killPrimary(): Promise<void> {
    await this.primary.kill();
  }

  async promote(): Promise<void> {
    for (const sql of ['STOP SLAVE', 'RESET SLAVE ALL', 'SET GLOBAL read_only = 0']) {
      await this.query('replica', sql, [], null);
    }
    await this.waitFor('promoted replica to be writable', async () => !(await this.identity('replica')).readOnly);
  }

  async identity(role: Role): Promise<MariaDbIdentity> {
    const [row] = await this.query<{ id: number; domain: number; pos: string; ro: number }>(
      role,
      'SELECT @@server_id AS id, @@gtid_domain_id AS domain, @@gtid_current_pos AS pos, @@read_only AS ro',
      [],
      null,
    );
    const variables = await this.query<{ Variable_name: string; Value: string }>(
      role,
      "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('server_uuid', 'rpl_semi_sync_master_enabled', " +
        "'rpl_semi_sync_master_timeout')",
      [],
      null,
    );
    const value = (name: string) => variables.find((variable) => variable.Variable_name === name)?.Value;
    const enabled = value('rpl_semi_sync_master_enabled');
    return {
      serverId: Number(row.id),
      serverUuid: value('server_uuid'),
      gtidDomainId: Number(row.domain),
      gtidCurrentPos: row.pos,
      readOnly: Number(row.ro) === 1,
      ...(enabled === undefined
        ? {}
        : {
            semiSync: {
              masterEnabled: enabled === 'ON',
              masterTimeoutMs: Number(value('rpl_semi_sync_master_timeout')),
            },
          }),
    };
  }

  /** Kills both servers (their datadirs go next: a clean shutdown would be wasted time) and deletes the datadirs. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all(
      [this.replica, this.primary].map(async (server) => {
        await server.kill();
        await server.dispose();
      }),
    );
  }

  private waitFor(what: string, probe: () => Promise<boolean>): Promise<boolean> {
    return waitFor(`PrivateMariaDbPair: ${what}`, this.timeoutMs, probe, () =>
      ['primary', 'replica'].map((role) => `--- ${role} ---\n${this.server(role as Role).logTail()}`).join('\n'),
    );
  }
}
