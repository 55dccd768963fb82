import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { nodeProcess, osUserIds } from '../private-mariadb.js';
import { freePort } from '../ports.js';
import { childrenOf, GiveUp, isGone, run, waitFor, type Endpoint } from './common.js';

const DEBIAN_PG = '/usr/lib/postgresql';
const OS_USER = 'postgres';

/** Servers started and not yet exited, SIGKILLed with their children if the test process exits without disposing. */
const live = new Set<PrivatePgServer>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const node = nodeProcess(); // the real process: Jest's copy never hears it exit
  node.once('exit', () => {
    for (const server of live) server.killSync(node);
  });
}

/** `LEAF_TEST_PG_BIN`, else the newest of Debian's `/usr/lib/postgresql/<major>/bin` (15 on this project's machines). */
export function pgBinDir(): string {
  if (process.env.LEAF_TEST_PG_BIN) return process.env.LEAF_TEST_PG_BIN;
  const majors = existsSync(DEBIAN_PG)
    ? readdirSync(DEBIAN_PG).filter((major) => existsSync(join(DEBIAN_PG, major, 'bin', 'pg_basebackup')))
    : [];
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) {
    throw new Error(
      `PrivatePgServer: no ${DEBIAN_PG}/<major>/bin (apt-get install -y postgresql), LEAF_TEST_PG_BIN unset`,
    );
  }
  return join(DEBIAN_PG, newest, 'bin');
}

/** initdb and postgres refuse to run as root: as root, run them as the `postgres` OS user (setpriv execs, so the pid is the server's). */
export function asPgUser(command: string, args: readonly string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, [...args]];
  return ['setpriv', ['--reuid', OS_USER, '--regid', OS_USER, '--init-groups', '--', command, ...args]];
}

/** uid and gid of the OS user the servers run as (this process's own when not root). */
export function pgOsUser(): { uid: number; gid: number } {
  if (process.getuid?.() !== 0) return { uid: process.getuid!(), gid: process.getgid!() };
  return osUserIds(OS_USER);
}

/**
 * One PostgreSQL server of the harness's own: its data directory (made by `initdb` or `pg_basebackup`, owned by the
 * server's OS user), a free port on 127.0.0.1, no Unix socket (the shared server's socket directory stays untouched),
 * stderr into `<datadir>.log`.
 */
export class PrivatePgServer {
  readonly host = '127.0.0.1';
  readonly user = 'postgres';
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private watchdog: ChildProcess | null = null;
  private portNumber = 0;

  constructor(
    /** Its data directory; the caller deletes it (with the directory it lives in). */
    readonly datadir: string,
    readonly name: string,
  ) {}

  get port(): number {
    return this.portNumber;
  }

  get logFile(): string {
    return `${this.datadir}.log`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** A new cluster in `datadir`, set up to be a primary that streams to replicas. */
  static async initdb(datadir: string, name: string): Promise<PrivatePgServer> {
    const [command, args] = asPgUser(join(pgBinDir(), 'initdb'), [
      ...['-D', datadir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C'],
      // initdb's own fsync of the new files only; the server keeps fsync on.
      ...['--no-sync', '--no-instructions'],
    ]);
    await run(command, args, 60_000, { cwd: join(datadir, '..') });
    appendFileSync(
      join(datadir, 'postgresql.conf'),
      [
        "listen_addresses = '127.0.0.1'",
        "unix_socket_directories = ''",
        'wal_level = replica',
        'max_wal_senders = 4',
        'max_connections = 40',
        'shared_buffers = 16MB',
        '',
      ].join('\n'),
    );
    appendFileSync(join(datadir, 'pg_hba.conf'), 'host replication all 127.0.0.1/32 trust\n');
    return new PrivatePgServer(datadir, name);
  }

  /** A copy of `source` in `datadir` that starts as its streaming standby (`-R` writes primary_conninfo). */
  static async basebackup(source: PrivatePgServer, datadir: string, name: string): Promise<PrivatePgServer> {
    const [command, args] = asPgUser(join(pgBinDir(), 'pg_basebackup'), [
      ...['-h', source.host, '-p', String(source.port), '-U', 'postgres', '-D', datadir],
      // fast: a checkpoint now, not one spread over checkpoint_timeout.
      ...['-R', '-X', 'stream', '-c', 'fast', '--no-sync'],
    ]);
    await run(command, args, 60_000, { cwd: join(datadir, '..') });
    return new PrivatePgServer(datadir, name);
  }

  endpoint(database: string): Endpoint {
    return { host: this.host, port: this.port, user: this.user, password: '', database };
  }

  /** One statement on a connection of its own, closed after: a killed server leaves no client behind. */
  async query<Row = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
    database = 'postgres',
  ): Promise<Row[]> {
    const client = new pg.Client({ ...this.endpoint(database), connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined); // a server killed mid-query: the query's own rejection reports it
    try {
      await client.connect();
      return (await client.query(sql, params)).rows as Row[];
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  logTail(lines = 25): string {
    if (!existsSync(this.logFile)) return `--- ${this.name}: no log ---`;
    const tail = readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    return `--- ${this.name} (${this.logFile}) ---\n${tail}`;
  }

  /** Starts `postgres` on a free port; resolves once it answers queries (a standby: once it is consistent). */
  async start(timeoutMs = 30_000): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.portNumber = await freePort();
      try {
        return await this.startOnce(timeoutMs);
      } catch (error) {
        // The port was free when probed; another process may have bound it since.
        if (attempt >= 3 || !/could not bind|address already in use/i.test(String(error))) throw error;
      }
    }
  }

  /** SIGKILL of the postmaster and every child, as a crash does; resolves once all are gone. */
  async kill(timeoutMs = 10_000): Promise<void> {
    const children = this.killSync();
    await this.exited;
    await waitFor(`${this.name}: children of the killed postmaster to exit`, timeoutMs, async () =>
      children.every(isGone),
    );
  }

  /**
   * Stops the postmaster first (a stopped process forks nothing), kills the children it has, then it. One by one:
   * each child leads a process group of its own, so no group kill reaches them all. Synchronous, for the 'exit' hook
   * too; returns the children's pids.
   */
  killSync(node: NodeJS.Process = process): number[] {
    const pid = this.child?.pid;
    if (pid === undefined || !this.running) return [];
    const signal = (target: number, name: NodeJS.Signals) => {
      try {
        node.kill(target, name);
      } catch {
        // already gone
      }
    };
    signal(pid, 'SIGSTOP');
    const children = childrenOf(pid);
    for (const child of children) signal(child, 'SIGKILL');
    signal(pid, 'SIGKILL');
    return children;
  }

  /** Kills it: its data directory is deleted next, so a clean shutdown would be wasted time. */
  async dispose(): Promise<void> {
    await this.kill();
    this.watchdog?.kill('SIGKILL');
    this.watchdog = null;
  }

  private async startOnce(timeoutMs: number): Promise<void> {
    installExitHook();
    const log = openSync(this.logFile, 'a');
    const [command, args] = asPgUser(join(pgBinDir(), 'postgres'), ['-D', this.datadir, '-p', String(this.port)]);
    const child = spawn(command, args, { cwd: join(this.datadir, '..'), stdio: ['ignore', log, log] });
    closeSync(log);
    this.child = child;
    this.exited = new Promise<void>((resolve) => {
      child.once('error', () => resolve());
      child.once('exit', () => resolve());
    }).then(() => {
      live.delete(this);
    });
    live.add(this);
    child.unref(); // a suite that forgets dispose() must not hang: the exit hook and the watchdog kill it
    this.guard(child);
    await waitFor(
      `${this.name}: postgres to accept connections on ${this.host}:${this.port}`,
      timeoutMs,
      async () => {
        if (!this.running) throw new GiveUp(`postgres exited (${child.exitCode ?? child.signalCode})`);
        const [row] = await this.query<{ data_directory: string }>('SHOW data_directory');
        // Its data directory tells it from another server that took the port meanwhile.
        return row.data_directory === this.datadir;
      },
      () => this.logTail(),
    ).catch(async (error) => {
      await this.kill().catch(() => undefined);
      throw error;
    });
  }

  /** A detached shell that kills the server and its children should this process die without its exit hook. */
  private guard(child: ChildProcess): void {
    this.watchdog?.kill('SIGKILL');
    if (child.pid === undefined) return;
    // $1: this process, $2: the postmaster. pkill -P selects by parent pid only.
    const script =
      'while kill -0 "$2" 2>/dev/null; do if ! kill -0 "$1" 2>/dev/null; then ' +
      'kill -STOP "$2"; pkill -9 -P "$2"; kill -9 "$2"; exit 0; fi; sleep 1; done';
    const args = ['-c', script, 'private-pg-guard', String(process.pid), String(child.pid)];
    this.watchdog = spawn('/bin/sh', args, { detached: true, stdio: 'ignore' });
    this.watchdog.on('error', () => undefined);
    this.watchdog.unref();
  }
}
