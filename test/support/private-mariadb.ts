import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chownSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from './ports.js';

/**
 * A MariaDB server of the suite's own: a fresh datadir under the OS temp directory, a free port on 127.0.0.1,
 * root with an empty password. Unlike the shared server on 3306, which other suites use, this one may be
 * stopped, killed and started again at will.
 *
 * ```ts
 * const db = await PrivateMariaDb.start();
 * await db.stop();   // SIGTERM, waits for the process to exit (clean InnoDB shutdown)
 * await db.start();  // same datadir and port, resolves once it accepts connections
 * await db.kill();   // SIGKILL, waits for the exit: InnoDB recovers from its redo log on the next start
 * await db.dispose(); // stops it and deletes the datadir
 * ```
 */
export interface PrivateMariaDbOptions {
  /** InnoDB buffer pool; small, so a start and a crash recovery take a fraction of a second. Default '32M'. */
  readonly bufferPoolSize?: string;
  /** How long a start (and a crash recovery) may take before it counts as failed. Default 30,000 ms. */
  readonly readyTimeoutMs?: number;
  /** How long a graceful stop may take before the process is killed and `stop()` fails. Default 30,000 ms. */
  readonly stopTimeoutMs?: number;
  /** More `mariadbd` options, appended to the defaults. */
  readonly serverArgs?: readonly string[];
  /**
   * An option file of the server's own, read instead of none (`--defaults-file` replaces `--no-defaults`). Galera
   * needs one: its SST scripts read the server's settings with `my_print_defaults`, which without it would read
   * /etc/mysql, the shared server's (its datadir among them).
   */
  readonly defaultsFile?: string;
  /**
   * The OS user the server runs as when this process is root (default: root itself, which `--user` allows). Galera's
   * rsync SST needs another: run by root, the joiner's rsync daemon drops to `nobody`, which cannot write a datadir
   * that root owns.
   */
  readonly osUser?: string;
}

/** Where the binaries are looked for, after PATH: Debian/Ubuntu, RPM and tarball layouts. */
const EXTRA_DIRS = [
  '/usr/sbin',
  '/usr/bin',
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/local/mysql/bin',
  '/opt/mariadb/bin',
];

const INSTALL_HINT =
  'Install the MariaDB server (Debian/Ubuntu: apt-get install -y mariadb-server, as .ci/run does) or put ' +
  'mariadbd and mariadb-install-db on PATH.';

/** Every server started and not yet exited, killed outright if the test process exits without disposing them. */
const live = new Set<PrivateMariaDb>();
let exitHookInstalled = false;

/**
 * The Node process itself. Under Jest, the global `process` of a test file is a copy whose listeners never hear
 * the real process exit; a function of a core module belongs to the outer realm, and so does its `Function`.
 */
export function nodeProcess(): NodeJS.Process {
  try {
    const outer = (spawn.constructor as FunctionConstructor)(
      'return typeof process === "object" ? process : undefined',
    )();
    if (outer && typeof (outer as NodeJS.Process).once === 'function') return outer as NodeJS.Process;
  } catch {
    // fall back to the global
  }
  return process;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a SIGKILL by pid is. Graceful paths (dispose) run in afterAll.
  // The handler uses the real process only: by then Jest may have torn down the test file's globals.
  const node = nodeProcess();
  node.once('exit', () => {
    for (const server of live) server.killSync(node);
  });
}

function findBinary(names: readonly string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** The `mariadbd` and install script this machine has; a clear error when either is missing. */
export function mariaDbBinaries(): { server: string; installDb: string } {
  const server = findBinary(['mariadbd', 'mysqld']);
  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db']);
  if (server === undefined || installDb === undefined) {
    const missing = [server === undefined && 'mariadbd', installDb === undefined && 'mariadb-install-db'].filter(
      Boolean,
    );
    throw new Error(
      `PrivateMariaDb: ${missing.join(' and ')} not found on PATH or in ${EXTRA_DIRS.join(', ')}. ${INSTALL_HINT}`,
    );
  }
  return { server, installDb };
}

/** uid and gid of an OS user (`id -u`, `id -g`); an error naming it when there is none. */
export function osUserIds(user: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, user], { encoding: 'utf8' }).stdout.trim() || NaN);
  const ids = { uid: id('-u'), gid: id('-g') };
  if (!Number.isInteger(ids.uid) || !Number.isInteger(ids.gid)) throw new Error(`no OS user '${user}' on this machine`);
  return ids;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class PrivateMariaDb {
  readonly host = '127.0.0.1';
  readonly user = 'root';
  readonly password = '';
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private watchdog: ChildProcess | null = null;
  private disposed = false;
  /** Times `start()` brought the server up, the first one included. */
  starts = 0;

  private constructor(
    private readonly binaries: { server: string; installDb: string },
    /** The data directory; it lives until `dispose()`. */
    readonly datadir: string,
    private readonly socketDir: string | null,
    private portNumber: number,
    private readonly options: Required<Omit<PrivateMariaDbOptions, 'serverArgs' | 'defaultsFile' | 'osUser'>> &
      Pick<PrivateMariaDbOptions, 'defaultsFile' | 'osUser'> & { serverArgs: readonly string[] },
  ) {}

  /** Creates a datadir with `mariadb-install-db` and starts a server on a free port; resolves once it accepts connections. */
  static async start(options: PrivateMariaDbOptions = {}): Promise<PrivateMariaDb> {
    const binaries = mariaDbBinaries();
    const datadir = mkdtempSync(join(tmpdir(), 'leaf-mariadb-'));
    // A Unix socket path has a limit of ~107 bytes; a long TMPDIR would break the server's start.
    const socketDir = Buffer.byteLength(join(datadir, 'mysqld.sock')) > 100 ? mkdtempSync('/tmp/lmdb-') : null;
    const resolved = {
      bufferPoolSize: options.bufferPoolSize ?? '32M',
      readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 30_000,
      serverArgs: options.serverArgs ?? [],
      defaultsFile: options.defaultsFile,
      osUser: options.osUser,
    };
    const server = new PrivateMariaDb(binaries, datadir, socketDir, 0, resolved);
    try {
      server.handOver([datadir, socketDir]);
      server.installDb();
      // The port is free when probed but could be taken before mariadbd binds it: try a few.
      for (let attempt = 1; ; attempt++) {
        server.portNumber = await freePort();
        try {
          await server.start();
          break;
        } catch (error) {
          if (attempt >= 3 || !/bind on tcp\/ip port|address already in use/i.test(String(error))) throw error;
        }
      }
      return server;
    } catch (error) {
      await server.dispose().catch(() => undefined);
      throw error;
    }
  }

  get port(): number {
    return this.portNumber;
  }

  get socket(): string {
    return join(this.socketDir ?? this.datadir, 'mysqld.sock');
  }

  get errorLog(): string {
    return join(this.datadir, 'error.log');
  }

  /** The server process, while it runs. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Connection options for mysql2 (and TypeORM's `host`/`port`/`username`/`password`). */
  connectionOptions(database?: string) {
    return {
      host: this.host,
      port: this.port,
      user: this.user,
      password: this.password,
      ...(database ? { database } : {}),
    };
  }

  /** The last lines of the server's error log, for failure messages. */
  logTail(lines = 25): string {
    if (!existsSync(this.errorLog)) return '(no error log)';
    return readFileSync(this.errorLog, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Starts `mariadbd` on the same datadir and port; resolves once it answers queries on that port. */
  async start(): Promise<void> {
    if (this.disposed) throw new Error('PrivateMariaDb: start() after dispose()');
    if (this.running) throw new Error(`PrivateMariaDb: already running (pid ${this.child?.pid})`);
    installExitHook();
    const child = spawn(this.binaries.server, this.serverArgs(), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    let spawnError: Error | undefined;
    this.child = child;
    this.exited = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        spawnError = error;
        resolve();
      });
      child.once('exit', () => resolve());
    }).then(() => {
      live.delete(this);
    });
    live.add(this);
    // A suite that forgets dispose() must not hang on the server: the process may exit, and its exit hook kills it.
    child.unref();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
    this.guard(child);

    const deadline = Date.now() + this.options.readyTimeoutMs;
    for (;;) {
      if (!this.running || spawnError) {
        await this.exited;
        throw new Error(
          `PrivateMariaDb: mariadbd exited during startup (${spawnError?.message ?? `code ${child.exitCode}, signal ${child.signalCode}`}).\n` +
            `${stderr.trim()}\n--- ${this.errorLog} ---\n${this.logTail()}`,
        );
      }
      if (await this.ping()) break;
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(
          `PrivateMariaDb: mariadbd did not accept connections on ${this.host}:${this.port} within ` +
            `${this.options.readyTimeoutMs} ms.\n--- ${this.errorLog} ---\n${this.logTail()}`,
        );
      }
      await sleep(25);
    }
    this.starts++;
  }

  /** Graceful stop: SIGTERM, then waits for the process to exit (InnoDB shuts down cleanly). */
  async stop(): Promise<void> {
    if (!this.running) return this.exited;
    this.child!.ref(); // keep the process alive until the server is gone
    this.child!.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.options.stopTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      await this.kill();
      throw new Error(
        `PrivateMariaDb: mariadbd did not exit within ${this.options.stopTimeoutMs} ms of SIGTERM; killed it.`,
      );
    }
  }

  /** Crash: SIGKILL, then waits for the process to be gone. The next `start()` runs InnoDB crash recovery. */
  async kill(): Promise<void> {
    if (this.running) {
      this.child!.ref();
      this.child!.kill('SIGKILL');
    }
    await this.exited;
  }

  /** Stops the server (killing it if it will not stop) and deletes its datadir. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    try {
      await this.stop().catch(() => this.kill());
    } finally {
      this.disposed = true;
      this.watchdog?.kill('SIGKILL');
      this.watchdog = null;
      rmSync(this.datadir, { recursive: true, force: true });
      if (this.socketDir) rmSync(this.socketDir, { recursive: true, force: true });
    }
  }

  /** For the process 'exit' hook: nothing asynchronous may run there. */
  killSync(node: NodeJS.Process = process): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.child?.exitCode !== null || this.child?.signalCode !== null) return;
    try {
      node.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private async ping(): Promise<boolean> {
    let connection: mysql.Connection | undefined;
    try {
      connection = await mysql.createConnection({ ...this.connectionOptions(), connectTimeout: 1000 });
      // The socket path tells this server from any other that might have taken the port meanwhile.
      const [rows] = await connection.query('SELECT @@socket AS socket');
      return (rows as Array<{ socket: string }>)[0]?.socket === this.socket;
    } catch {
      return false;
    } finally {
      connection?.destroy();
    }
  }

  private serverArgs(): string[] {
    const isRoot = process.getuid?.() === 0;
    return [
      this.defaultsArg(), // must come first: never read /etc/mysql, which configures the shared server
      `--datadir=${this.datadir}`,
      `--port=${this.port}`,
      `--bind-address=${this.host}`,
      `--socket=${this.socket}`,
      `--pid-file=${join(this.datadir, 'mysqld.pid')}`,
      `--log-error=${this.errorLog}`,
      // mariadbd refuses to run as root unless told to.
      ...(isRoot ? [`--user=${this.options.osUser ?? userInfo().username}`] : []),
      ...this.storageArgs(),
      '--skip-log-bin',
      '--skip-name-resolve',
      '--performance-schema=OFF',
      '--max-connections=100',
      ...this.options.serverArgs,
    ];
  }

  /** Gives the directories to `osUser`, when this process is root and may. */
  private handOver(dirs: readonly (string | null)[]): void {
    if (this.options.osUser === undefined || process.getuid?.() !== 0) return;
    const { uid, gid } = osUserIds(this.options.osUser);
    for (const dir of dirs) if (dir !== null) chownSync(dir, uid, gid);
  }

  private defaultsArg(): string {
    return this.options.defaultsFile ? `--defaults-file=${this.options.defaultsFile}` : '--no-defaults';
  }

  /** Shared by the install script and the server, so the datadir is created as it will be used. */
  private storageArgs(): string[] {
    return [
      `--innodb-buffer-pool-size=${this.options.bufferPoolSize}`,
      '--innodb-log-file-size=16M',
      // Not the default 12 MB, written in full at every start.
      '--innodb-temp-data-file-path=ibtmp1:1M:autoextend',
      // The default, spelled out: a COMMIT is acknowledged only once its redo log is on disk.
      '--innodb-flush-log-at-trx-commit=1',
    ];
  }

  private installDb(): void {
    const isRoot = process.getuid?.() === 0;
    const result = spawnSync(
      this.binaries.installDb,
      [
        this.defaultsArg(),
        `--datadir=${this.datadir}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        '--skip-name-resolve',
        ...(isRoot ? [`--user=${this.options.osUser ?? userInfo().username}`] : []),
        ...this.storageArgs(),
        '--skip-log-bin',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (result.error || result.status !== 0) {
      throw new Error(
        `PrivateMariaDb: ${this.binaries.installDb} failed (${result.error?.message ?? `exit ${result.status}`}).\n` +
          `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n'),
      );
    }
  }

  /**
   * A detached shell that SIGKILLs the server should this test process die without running its exit
   * hooks (SIGKILL, Ctrl-C in a terminal), and ends by itself when the server exits first.
   */
  private guard(child: ChildProcess): void {
    this.watchdog?.kill('SIGKILL');
    this.watchdog = null;
    if (child.pid === undefined) return;
    // $1: this process, $2: the server. Kills $2 only while it still runs and $1 is gone.
    const script =
      'while kill -0 "$2" 2>/dev/null; do ' +
      'if ! kill -0 "$1" 2>/dev/null; then kill -9 "$2" 2>/dev/null; exit 0; fi; sleep 1; done';
    try {
      const watchdog = spawn(
        '/bin/sh',
        ['-c', script, 'private-mariadb-guard', String(process.pid), String(child.pid)],
        {
          detached: true,
          stdio: 'ignore',
        },
      );
      watchdog.on('error', () => undefined);
      watchdog.unref();
      this.watchdog = watchdog;
    } catch {
      // Best effort: the exit hook and dispose() still apply.
    }
  }
}
