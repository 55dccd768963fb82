import type { Redis } from 'ioredis';
import { FaultProxy } from '../../../harness/fault-proxy.js';
import { PrivateRedis } from '../redis-server.js';
import { keyValues, waitFor, type Endpoint, type FailoverPair, type Role } from './common.js';

export interface RedisIdentity {
  readonly role: 'master' | 'slave';
  /** The history this server serves; a replica shows its master's. A promotion starts a new one. */
  readonly masterReplId: string;
  /** The history it continues from after a promotion (all zeros before any). */
  readonly masterReplId2: string;
  readonly masterReplOffset: number;
}

export interface PrivateRedisPairOptions {
  /** `--appendonly yes --appendfsync always` on both: every acknowledged write is on disk. Default false. */
  readonly appendFsyncAlways?: boolean;
  /** Bound of each wait. Default 15,000 ms. */
  readonly timeoutMs?: number;
}

/**
 * A Redis master and its replica, each a `PrivateRedis`, with the replication link through a `FaultProxy` so that it
 * can be cut while both servers keep serving clients.
 */
export class PrivateRedisPair implements FailoverPair<RedisIdentity> {
  private disposed = false;

  private constructor(
    readonly primary: PrivateRedis,
    readonly replica: PrivateRedis,
    /** Between the replica and the master: `replicaof` names the proxy. */
    readonly link: FaultProxy,
    private readonly timeoutMs: number,
  ) {}

  static async start(options: PrivateRedisPairOptions = {}): Promise<PrivateRedisPair> {
    const persistence = options.appendFsyncAlways ? ['--appendonly', 'yes', '--appendfsync', 'always'] : [];
    // Diskless sync waits 5 s by default for more replicas to join the transfer; there is only one.
    const primary = await PrivateRedis.start([...persistence, '--repl-diskless-sync-delay', '0']);
    let link: FaultProxy | null = null;
    let replica: PrivateRedis | null = null;
    try {
      link = await FaultProxy.start({ target: { host: primary.host, port: primary.port } });
      replica = await PrivateRedis.start([...persistence, '--replicaof', link.host, String(link.port)]);
      const pair = new PrivateRedisPair(primary, replica, link, options.timeoutMs ?? 15_000);
      await pair.waitFor('replica link up', async () => (await pair.info('replica')).master_link_status === 'up');
      return pair;
    } catch (error) {
      await Promise.all([replica?.dispose(), link?.close(), primary.dispose()]);
      throw error;
    }
  }

  server(role: Role): PrivateRedis {
    return role === 'primary' ? this.primary : this.replica;
  }

  endpoint(role: Role): Endpoint {
    const server = this.server(role);
    return { host: server.host, port: server.port, user: 'default', password: '', database: '0' };
  }

  /** A client that does not retry: a command to a killed server fails at once. The caller quits it. */
  client(role: Role): Redis {
    const client = this.server(role).client({ maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    return client;
  }

  /** One command on a client of its own. */
  async command(role: Role, name: string, ...args: (string | number)[]): Promise<unknown> {
    const client = this.client(role);
    try {
      return await client.call(name, ...args);
    } finally {
      client.disconnect();
    }
  }

  async info(role: Role): Promise<Record<string, string>> {
    return keyValues(String(await this.command(role, 'INFO', 'replication')));
  }

  /** The proxy drops the link and refuses the replica's reconnections. */
  async cutReplication(): Promise<void> {
    this.link.cut();
    await this.waitFor('replica link down', async () => (await this.info('replica')).master_link_status === 'down');
  }

  async killPrimary(): Promise<void> {
    await this.primary.kill();
  }

  async promote(): Promise<void> {
    await this.command('replica', 'REPLICAOF', 'NO', 'ONE');
    await this.waitFor('replica to become a master', async () => (await this.info('replica')).role === 'master');
  }

  async identity(role: Role): Promise<RedisIdentity> {
    const info = await this.info(role);
    return {
      role: info.role as RedisIdentity['role'],
      masterReplId: info.master_replid,
      masterReplId2: info.master_replid2,
      masterReplOffset: Number(info.master_repl_offset),
    };
  }

  /**
   * Kills both servers, closes the proxy, deletes the dirs. Idempotent. A kill, not `SHUTDOWN`: the data goes next,
   * and the Redis test took 5 s (`PrivateRedis.dispose`'s bound on a shutdown) in 3 of 10 full runs, 0.2 s since.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all([
      ...[this.replica, this.primary].map(async (server) => {
        await server.kill();
        await server.dispose();
      }),
      this.link.close(),
    ]);
  }

  private waitFor(what: string, probe: () => Promise<boolean>): Promise<boolean> {
    return waitFor(
      `PrivateRedisPair: ${what}`,
      this.timeoutMs,
      probe,
      () => `--- master ---\n${this.primary.logTail()}\n--- replica ---\n${this.replica.logTail()}`,
    );
  }
}
