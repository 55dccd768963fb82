import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * A `redis-server` of the suite's own, in the foreground (so this process holds its pid), on a port of 17000–19999
 * whose cluster bus port (+10000) is free too, with a fresh `--dir` under the OS temp directory. Unlike the shared
 * server on 6379, it may be killed and restarted at will:
 *
 * ```ts
 * const redis = await PrivateRedis.start(['--appendonly', 'yes', '--appendfsync', 'always']);
 * await redis.kill();    // SIGKILL, waits for the exit
 * await redis.start();   // same port and dir: Redis loads what it kept on disk
 * await redis.dispose(); // stops it and deletes the dir; safe to call twice, and after a failed start
 * ```
 * Nothing is kept on disk unless the arguments say so (`--save '' --appendonly no` come first).
 */
export class PrivateRedis {
  readonly host = '127.0.0.1';
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private watchdog: ChildProcess | null = null;
  private disposed = false;

  private constructor(
    readonly port: number,
    /** The server's `--dir`: AOF, RDB and nodes.conf; deleted by `dispose()`. */
    readonly dir: string,
    private readonly args: readonly string[],
  ) {}

  static async start(args: readonly string[] = []): Promise<PrivateRedis> {
    for (let attempt = 1; ; attempt++) {
      const server = new PrivateRedis(await freePortPair(), mkdtempSync(join(tmpdir(), 'leaf-redis-')), args);
      try {
        await server.start();
        return server;
      } catch (error) {
        await server.dispose();
        if (attempt >= 3 || !/address already in use/i.test(String(error))) throw error;
      }
    }
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** A client of this server; the caller quits it. */
  client(options: RedisOptions = {}): Redis {
    return new Redis({ host: this.host, port: this.port, ...options });
  }

  logTail(lines = 20): string {
    const log = join(this.dir, 'redis.log');
    return existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
  }

  /** Starts `redis-server` on the same port and dir; resolves once it answers PING (after loading its AOF). */
  async start(): Promise<void> {
    if (this.disposed) throw new Error('PrivateRedis: start() after dispose()');
    if (this.running) throw new Error(`PrivateRedis: already running (pid ${this.child?.pid})`);
    const child = spawn('redis-server', this.serverArgs(), { stdio: 'ignore' });
    this.child = child;
    let spawnError: Error | undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        spawnError = error;
        resolve();
      });
      child.once('exit', () => resolve());
    });
    child.unref(); // a suite that forgets dispose() must not hang on it: the watchdog kills it once we are gone
    this.guard(child);
    const deadline = Date.now() + 15_000;
    while (!(await this.ping())) {
      if (!this.running || spawnError) {
        await this.exited;
        throw new Error(
          `PrivateRedis: redis-server exited (${spawnError?.message ?? child.exitCode}):\n${this.logTail()}`,
        );
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`PrivateRedis: redis-server did not answer on ${this.port} within 15 s:\n${this.logTail()}`);
      }
      await sleep(20);
    }
  }

  /** Crash: SIGKILL, nothing flushed beyond what the settings already wrote; waits for the process to be gone. */
  async kill(): Promise<void> {
    if (this.running) this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** Stops it (a graceful SHUTDOWN NOSAVE, else SIGKILL) and deletes its dir. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.running) {
      spawnSync('redis-cli', ['-p', String(this.port), 'shutdown', 'nosave'], { timeout: 5000, stdio: 'ignore' });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 5000)));
      const gone = await Promise.race([this.exited.then(() => true), timeout]);
      clearTimeout(timer);
      if (!gone) await this.kill();
    }
    this.watchdog?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private serverArgs(): string[] {
    return [
      ...['--port', String(this.port), '--bind', this.host, '--dir', this.dir, '--logfile', 'redis.log'],
      ...['--daemonize', 'no', '--save', '', '--appendonly', 'no'],
      ...this.args,
    ];
  }

  /** PONG from this server: its `dir` tells it from any other that might have taken the port. */
  private async ping(): Promise<boolean> {
    const probe = new Redis({
      host: this.host,
      port: this.port,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      connectTimeout: 500,
    });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      const [, dir] = (await probe.config('GET', 'dir')) as string[];
      return dir === this.dir || dir === realpathSync(this.dir);
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }

  /** A detached shell that SIGKILLs the server should this process die without running afterAll. */
  private guard(child: ChildProcess): void {
    this.watchdog?.kill('SIGKILL');
    if (child.pid === undefined) return;
    const script =
      'while kill -0 "$2" 2>/dev/null; do if ! kill -0 "$1" 2>/dev/null; then kill -9 "$2"; exit 0; fi; sleep 1; done';
    const args = ['-c', script, 'private-redis-guard', String(process.pid), String(child.pid)];
    this.watchdog = spawn('/bin/sh', args, { detached: true, stdio: 'ignore' });
    this.watchdog.on('error', () => undefined);
    this.watchdog.unref();
  }
}

/**
 * A Redis Cluster of three masters (no replicas), each a `PrivateRedis` with `--cluster-enabled yes`, joined with
 * `redis-cli --cluster create`; resolves once every node reports `cluster_state:ok`.
 */
export class PrivateRedisCluster {
  private constructor(readonly nodes: readonly PrivateRedis[]) {}

  static async start(masters = 3, args: readonly string[] = []): Promise<PrivateRedisCluster> {
    const nodes: PrivateRedis[] = [];
    const cluster = new PrivateRedisCluster(nodes);
    try {
      const clusterArgs = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', ...args];
      for (let i = 0; i < masters; i++) nodes.push(await PrivateRedis.start(clusterArgs));
      const addresses = nodes.map((node) => `${node.host}:${node.port}`);
      const create = spawnSync(
        'redis-cli',
        ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
        {
          encoding: 'utf8',
          timeout: 30_000,
        },
      );
      if (create.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.stdout}${create.stderr}`);
      const deadline = Date.now() + 20_000;
      while (!(await cluster.ok())) {
        if (Date.now() > deadline) throw new Error('PrivateRedisCluster: cluster_state did not become ok within 20 s');
        await sleep(50);
      }
      return cluster;
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
  }

  /** A cluster client seeded with every node; the caller quits it. */
  client(options: ClusterOptions = {}): Cluster {
    return new Cluster(
      this.nodes.map((node) => ({ host: node.host, port: node.port })),
      options,
    );
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.dispose()));
  }

  private async ok(): Promise<boolean> {
    for (const node of this.nodes) {
      const client = node.client({ lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      try {
        await client.connect();
        if (!(await client.cluster('INFO')).includes('cluster_state:ok')) return false;
      } catch {
        return false;
      } finally {
        client.disconnect();
      }
    }
    return true;
  }
}

/** A port of 17000–19999 free on 127.0.0.1, with its cluster bus port (port + 10000) free too. */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 17000 + Math.floor(Math.random() * 3000);
    if ((await isFree(port)) && (await isFree(port + 10000))) return port;
  }
  throw new Error('PrivateRedis: no free port pair found in 17000-19999');
}

/** Nothing listens on `port` of 127.0.0.1 now. */
export function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
