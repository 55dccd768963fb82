import { spawn, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { isFree } from '../redis-server.js';

/** The two servers of a replicated pair, named by the role they start with (a promoted replica stays `replica`). */
export type Role = 'primary' | 'replica';

/** Where a client connects: loopback, a private port, the harness's superuser. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/**
 * What a failover test does to a replicated pair, the same on every engine: cut the link so the replica stops
 * receiving, write on the primary (a write the replica never sees), kill the primary, promote the replica.
 */
export interface FailoverPair<Identity> {
  endpoint(role: Role): Endpoint;
  /** Resolves once the replica receives nothing more from the primary. */
  cutReplication(): Promise<void>;
  /** SIGKILL, no shutdown work; resolves once the processes are gone. */
  killPrimary(): Promise<void>;
  /** Resolves once the replica accepts writes. */
  promote(): Promise<void>;
  /** What tells one history from another (timeline, replication ID, server id); read from the live server. */
  identity(role: Role): Promise<Identity>;
  /** Stops every process and deletes every directory; idempotent, and safe after a failed start. */
  dispose(): Promise<void>;
}

/** Thrown by a `waitFor` probe when waiting longer is pointless (the server exited). */
export class GiveUp extends Error {}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns something other than `undefined`/`false`, for at most `timeoutMs`. A probe that
 * throws counts as "not yet" (a server still starting refuses connections), and its last error goes into the
 * message, with `context()` (a log tail) when the wait fails.
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined | false>,
  context?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      if (error instanceof GiveUp) {
        throw new Error(`${what}: ${error.message}${context ? `\n${context()}` : ''}`, { cause: error });
      }
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError === undefined ? '' : ` (last error: ${(lastError as Error).message ?? lastError})`;
      throw new Error(`${what}: not within ${timeoutMs} ms${cause}${context ? `\n${context()}` : ''}`);
    }
    await sleep(delay);
  }
}

/** Runs a command to its end, at most `timeoutMs`; fails with its output's last lines. Async: timers keep running. */
export function run(
  command: string,
  args: readonly string[],
  timeoutMs: number,
  options: SpawnOptions = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const fail = (why: string) =>
      reject(new Error(`${command} ${args.join(' ')}: ${why}\n${output.trimEnd().split('\n').slice(-30).join('\n')}`));
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(error.message);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else fail(signal === 'SIGKILL' ? `killed after ${timeoutMs} ms` : `exit ${code ?? signal}`);
    });
  });
}

/** The `name:value` lines of a Redis INFO reply, as a record. */
export function keyValues(text: string): Record<string, string> {
  const entries = text
    .split(/\r?\n/)
    .map((line) => line.match(/^([^#:][^:]*):(.*)$/))
    .filter((match): match is RegExpMatchArray => match !== null)
    .map((match) => [match[1], match[2].trim()] as const);
  return Object.fromEntries(entries);
}

/** State letter and parent of a process, from /proc; undefined once it is gone. */
function procStat(pid: number | string): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** Direct children of `pid`. */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && procStat(entry)?.ppid === pid)
    .map(Number);
}

/** Gone, or a zombie that nobody reaps (PID 1 in a container may not). */
export const isGone = (pid: number): boolean => (procStat(pid)?.state ?? 'Z') === 'Z';

/** Below the kernel's ephemeral range and apart from `PrivateRedis` (17000–19999, bus ports 27000–29999). */
const LASTING_PORTS = { from: 20000, to: 27000 };

/**
 * A port of 127.0.0.1 free now that no outgoing connection will take, for a server that binds it long after it is
 * picked (a Galera node that joins later). A port of the ephemeral range may meanwhile become the local port of any
 * client's connection; the server then fails to bind (a Galera node aborts at once).
 */
export async function lastingPort(taken: Set<number>): Promise<number> {
  const [ephemeralFrom] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number);
  const to = Math.min(LASTING_PORTS.to, ephemeralFrom || LASTING_PORTS.to);
  if (to - LASTING_PORTS.from < 100)
    throw new Error(`the ephemeral port range starts at ${ephemeralFrom}: no room below`);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LASTING_PORTS.from + Math.floor(Math.random() * (to - LASTING_PORTS.from));
    if (taken.has(port) || !(await isFree(port))) continue;
    taken.add(port);
    return port;
  }
  throw new Error(`no free port found in ${LASTING_PORTS.from}-${to - 1}`);
}
