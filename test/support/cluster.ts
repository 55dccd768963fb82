import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeafNodeProcess } from '../../harness/node/process.js';
import type { KillNodeConfig } from './cluster-node.js';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE_SCRIPT = join(ROOT, 'dist/test/support/cluster-node.js');

/**
 * The nodes run dist/test/support/cluster-node.js, which imports `nest-leaf` (resolving to libs/leaf/dist) and
 * support/: build all three from the sources under test.
 */
export function buildNodeScript(): void {
  const build = spawnSync(
    process.execPath,
    ['node_modules/typescript/bin/tsc', '-b', 'test/support/tsconfig.node.json'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (build.status !== 0)
    throw new Error(
      `Building the node script (tsc -b test/support/tsconfig.node.json) failed:\n${build.stdout}${build.stderr}`,
    );
  for (const file of ['libs/leaf/dist/index.js', 'dist/test/support/cluster-node.js']) {
    if (!existsSync(join(ROOT, file))) throw new Error(`${file} is missing after the build.`);
  }
}

/** A node's configuration, less its record file (the cluster gives each incarnation one). */
export type NodeConfig = Omit<KillNodeConfig, 'record'>;

export type Fate = 'running' | 'killed' | 'stopped';

/** One process: a node is restarted as a new incarnation, with a record file of its own. */
export class Incarnation {
  fate: Fate = 'running';
  /** When the parent sent SIGKILL or SIGTERM (epoch ms). */
  signalledAt: number | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly id: number,
    readonly slot: number,
    readonly record: string,
    readonly spawnedAt: number,
    private readonly node: LeafNodeProcess,
    onUnexpectedExit: (error: Error) => void,
  ) {
    this.exited = node.exited.then((exit) => {
      const expected = this.fate === 'killed' || (this.fate === 'stopped' && exit.code === 0);
      if (!expected)
        onUnexpectedExit(
          new Error(`node #${id} (${this.fate}) exited with ${exit.signal ?? exit.code}:\n${node.output}`),
        );
      return exit;
    });
  }

  get ready(): boolean {
    return this.node.ready;
  }

  get running(): boolean {
    return this.node.running;
  }

  signal(fate: 'killed' | 'stopped'): void {
    this.fate = fate;
    this.signalledAt = Date.now();
    this.node.signal(fate === 'killed' ? 'SIGKILL' : 'SIGTERM');
  }
}

/** Node processes in numbered slots; a slot whose process is killed gets a new one at once. */
export class Cluster {
  readonly incarnations: Incarnation[] = [];
  private readonly slots: Incarnation[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'leaf-cluster-kill-'));
  private failure: Error | undefined;

  constructor(
    private readonly config: NodeConfig,
    /** The nodes' own Node flags (a TypeScript loader for a store that loads TypeScript); Jest's are never theirs. */
    private readonly execArgv: string[] = [],
  ) {}

  /** The current incarnation of every slot. */
  get live(): readonly Incarnation[] {
    return this.slots;
  }

  start(nodes: number): void {
    for (let slot = 0; slot < nodes; slot++) this.spawn(slot);
  }

  killAndRestart(victim: Incarnation): void {
    victim.signal('killed');
    this.spawn(victim.slot);
  }

  /** Throws the first unexpected exit: a crash is a failure of the library, not noise. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  async allReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.slots.every((node) => node.ready)) {
      this.check();
      if (Date.now() > deadline)
        throw new Error(
          `Nodes not ready within ${timeoutMs} ms: ${this.slots.filter((n) => !n.ready).map((n) => `#${n.id}`)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGTERM to every slot; each must close (giving its unused IDs back) and exit 0. */
  async stopAll(timeoutMs: number): Promise<void> {
    for (const node of this.slots) node.signal('stopped');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Nodes did not exit within ${timeoutMs} ms of SIGTERM`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.all(this.incarnations.map((node) => node.exited)), timeout]);
    } finally {
      clearTimeout(timer);
    }
    this.check();
  }

  /** Leaves no process behind, whatever happened; keeps the records of a failed run for a post-mortem. */
  async dispose({ keepRecords }: { keepRecords: boolean }): Promise<void> {
    const running = this.incarnations.filter((node) => node.running);
    for (const node of running) node.signal('killed');
    await Promise.all(running.map((node) => node.exited));
    if (keepRecords) process.stdout.write(`cluster-kill: the nodes' records are kept in ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }

  private spawn(slot: number): void {
    const id = this.incarnations.length;
    const record = join(this.dir, `${id}.log`);
    // Jest's flags are not the node's; the IPC channel is its lifeline, so a test runner that dies leaves no orphans.
    const config: KillNodeConfig = { ...this.config, record };
    const child = new LeafNodeProcess(NODE_SCRIPT, config, { execArgv: this.execArgv, output: 'collect', cwd: ROOT });
    const node = new Incarnation(id, slot, record, Date.now(), child, (error) => (this.failure ??= error));
    this.incarnations.push(node);
    this.slots[slot] = node;
  }
}
