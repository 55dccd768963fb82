import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import mysql from 'mysql2/promise';
import { PrivateMariaDb } from '../private-mariadb.js';
import { lastingPort, waitFor, type Endpoint } from './common.js';

/** Debian's galera-4; `LEAF_TEST_GALERA_PROVIDER` points elsewhere. */
export const GALERA_PROVIDER = process.env.LEAF_TEST_GALERA_PROVIDER ?? '/usr/lib/galera/libgalera_smm.so';

/** Root's rsync daemon (a joiner's SST) would drop to `nobody`: the nodes run as the OS user Debian's server has. */
const OS_USER = process.env.LEAF_TEST_GALERA_OS_USER ?? 'mysql';

export interface GaleraStatus {
  readonly clusterSize: number;
  /** `wsrep_local_state_comment`: Synced once the node serves the cluster's state. */
  readonly state: string;
  readonly ready: boolean;
}

export interface PrivateGaleraOptions {
  readonly nodes?: number;
  /** Created through the first node once all have joined. Default 'leaf'. */
  readonly database?: string;
  /** Appended to the provider options (e.g. shorter `evs.suspect_timeout` for quicker failure detection). */
  readonly providerOptions?: string;
  /** Bound of each node's start (a joiner's includes its rsync SST) and of each wait. Default 60,000 ms. */
  readonly timeoutMs?: number;
}

/** Ports of one node besides its SQL port, which `PrivateMariaDb` picks. */
interface NodePorts {
  readonly gcomm: number;
  readonly ist: number;
  readonly sst: number;
}

/**
 * A MariaDB Galera cluster of private nodes (3 by default), each a `PrivateMariaDb` with an option file of its own:
 * the rsync SST scripts read the server's settings with `my_print_defaults`, and without one they would read
 * /etc/mysql, the shared server's. The first node bootstraps the cluster (`--wsrep-new-cluster`); the others join
 * one at a time (one donor serves one SST at a time) and receive their state by rsync.
 */
export class PrivateGalera {
  private disposed = false;
  /** Every gcomm, IST and SST port handed out, so that a retry takes none twice. */
  private readonly ports = new Set<number>();

  private constructor(
    /** Option files; deleted by `dispose()` (each node's datadir is its own). */
    readonly dir: string,
    readonly nodes: PrivateMariaDb[],
    readonly database: string,
    private readonly timeoutMs: number,
  ) {}

  static async start(options: PrivateGaleraOptions = {}): Promise<PrivateGalera> {
    if (!existsSync(GALERA_PROVIDER)) {
      throw new Error(`PrivateGalera: no ${GALERA_PROVIDER} (apt-get install -y galera-4 rsync, as .ci/run does)`);
    }
    const timeoutMs = options.timeoutMs ?? 60_000;
    const dir = mkdtempSync(join(tmpdir(), 'leaf-galera-'));
    chmodSync(dir, 0o755);
    const cluster = new PrivateGalera(dir, [], options.database ?? 'leaf', timeoutMs);
    try {
      const ports = await distinctPorts(options.nodes ?? 3, cluster.ports);
      const address = `gcomm://${ports.map((node) => `127.0.0.1:${node.gcomm}`).join(',')}`;
      for (const [i, own] of ports.entries()) {
        cluster.nodes.push(await cluster.startNode(i, own, address, options.providerOptions));
        await cluster.waitForClusterSize(i + 1, [i]);
      }
      await cluster.query(0, `CREATE DATABASE ${cluster.database}`, [], null);
      return cluster;
    } catch (error) {
      await cluster.dispose().catch(() => undefined);
      throw error;
    }
  }

  endpoint(node: number): Endpoint {
    const server = this.nodes[node];
    return {
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      database: this.database,
    };
  }

  /** One statement through `node` on a connection of its own, in the cluster's database unless `database` is null. */
  async query<T = Record<string, unknown>>(
    node: number,
    sql: string,
    params: unknown[] = [],
    database: string | null = this.database,
  ): Promise<T[]> {
    const connection = await this.connect(node, database);
    try {
      const [rows] = await connection.query(sql, params);
      return (Array.isArray(rows) ? rows : []) as T[];
    } finally {
      connection.destroy();
    }
  }

  /** A connection through `node` for a test to hold (a writer's loop); the caller destroys it. */
  connect(node: number, database: string | null = this.database): Promise<mysql.Connection> {
    return mysql.createConnection({
      ...this.nodes[node].connectionOptions(database ?? undefined),
      connectTimeout: 2000,
    });
  }

  async status(node: number): Promise<GaleraStatus> {
    const rows = await this.query<{ Variable_name: string; Value: string }>(
      node,
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size', 'wsrep_local_state_comment', 'wsrep_ready')",
      [],
      null,
    );
    const value = (name: string) => rows.find((row) => row.Variable_name === name)?.Value ?? '';
    return {
      clusterSize: Number(value('wsrep_cluster_size')),
      state: value('wsrep_local_state_comment'),
      ready: value('wsrep_ready') === 'ON',
    };
  }

  /** Until each of `nodes` (default: every running one) sees a cluster of `size` and is Synced. */
  async waitForClusterSize(size: number, nodes?: readonly number[]): Promise<void> {
    const watched = nodes ?? this.nodes.flatMap((node, i) => (node.running ? [i] : []));
    await waitFor(
      `PrivateGalera: nodes ${watched.join(', ')} Synced in a cluster of ${size}`,
      this.timeoutMs,
      async () => {
        for (const node of watched) {
          const status = await this.status(node);
          if (status.clusterSize !== size || status.state !== 'Synced' || !status.ready) return false;
        }
        return true;
      },
      () => this.logTails(),
    );
  }

  /** The last lines of every node's error log, for failure messages. */
  logTails(lines = 15): string {
    return this.nodes.map((node, i) => `--- node ${i} (${node.errorLog}) ---\n${node.logTail(lines)}`).join('\n');
  }

  /** SIGKILL of one node; the others notice after the provider's suspect timeout (default 5 s). */
  async killNode(node: number): Promise<void> {
    await this.nodes[node].kill();
  }

  /** Kills every node (their datadirs go next) and deletes datadirs and option files. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    try {
      await Promise.all(
        this.nodes.map(async (node) => {
          await node.kill();
          await node.dispose();
        }),
      );
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /**
   * One node, a joiner twice at most: its SST may fail for a passing cause (before its ports were picked outside the
   * ephemeral range, one run in about 20 failed so), and the next attempt takes fresh IST and SST ports (the gcomm
   * port is in every node's address). A failure reports every node's log tail: the donor's usually says why.
   */
  private async startNode(i: number, own: NodePorts, address: string, providerOptions?: string) {
    const start = (ports: NodePorts) =>
      PrivateMariaDb.start({
        defaultsFile: this.writeOptionFile(i),
        serverArgs: this.nodeArgs(i, ports, address, providerOptions),
        readyTimeoutMs: this.timeoutMs,
        osUser: OS_USER,
      });
    try {
      return await start(own);
    } catch (error) {
      const first = `node ${i}: ${(error as Error).message}\n${this.logTails(30)}`;
      if (i === 0) throw new Error(first, { cause: error });
      console.warn(`PrivateGalera: node ${i} did not join; once more on fresh IST/SST ports. ${first}`);
      const [ist, sst] = [await lastingPort(this.ports), await lastingPort(this.ports)];
      return await start({ gcomm: own.gcomm, ist, sst }).catch((again: Error) => {
        throw new Error(`node ${i}, second attempt: ${again.message}\n${this.logTails(30)}`, { cause: again });
      });
    }
  }

  /** What the stack notes' recipe puts in each node's cnf, given on the command line: mariadb-install-db reads the file too and must not start a provider. */
  private nodeArgs(i: number, own: NodePorts, address: string, extraProviderOptions?: string): string[] {
    const provider = [
      `base_port=${own.gcomm}`,
      `gmcast.listen_addr=tcp://127.0.0.1:${own.gcomm}`,
      `ist.recv_addr=127.0.0.1:${own.ist}`,
      // The default 128 MB ring buffer is written in full at each start.
      'gcache.size=16M',
      ...(extraProviderOptions ? [extraProviderOptions] : []),
    ].join(';');
    return [
      '--wsrep-on=ON',
      `--wsrep-provider=${GALERA_PROVIDER}`,
      `--wsrep-cluster-name=${basename(this.dir)}`,
      `--wsrep-cluster-address=${address}`,
      `--wsrep-node-name=node${i}`,
      '--wsrep-node-address=127.0.0.1',
      `--wsrep-provider-options=${provider}`,
      '--wsrep-sst-method=rsync',
      `--wsrep-sst-receive-address=127.0.0.1:${own.sst}`,
      '--binlog-format=ROW',
      '--innodb-autoinc-lock-mode=2',
      ...(i === 0 ? ['--wsrep-new-cluster'] : []),
    ];
  }

  private writeOptionFile(i: number): string {
    const file = join(this.dir, `node${i}.cnf`);
    // The SST scripts read it as the nodes' OS user.
    writeFileSync(file, '[mysqld]\nbinlog_format=ROW\ninnodb_autoinc_lock_mode=2\n', { mode: 0o644 });
    return file;
  }
}

/** Three ports per node, all different. */
async function distinctPorts(nodes: number, taken: Set<number>): Promise<NodePorts[]> {
  const ports: NodePorts[] = [];
  for (let i = 0; i < nodes; i++) {
    ports.push({ gcomm: await lastingPort(taken), ist: await lastingPort(taken), sst: await lastingPort(taken) });
  }
  return ports;
}
