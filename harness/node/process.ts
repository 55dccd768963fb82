/**
 * The outside of a node process (host.ts is the inside): forks a compiled node script with its configuration,
 * knows when it is ready, queues its messages, and stops or kills it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { LeafNodeConfig, NodeMessage } from './host.js';

export interface NodeProcessOptions {
  /** Node's flags for the child; the parent's own (--expose-gc, a --cpu-prof) when absent. */
  readonly execArgv?: string[];
  /** 'inherit' (default): the child writes to the parent's stdout and stderr. 'collect': its output is kept for `output`. */
  readonly output?: 'inherit' | 'collect';
  readonly cwd?: string;
}

export interface NodeExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const OUTPUT_KEPT = 20_000;

export class LeafNodeProcess {
  /** True once the node sent { type: 'ready' }. */
  ready = false;
  /** Resolves when the node has booted; rejects if it failed or exited first. */
  readonly whenReady: Promise<void>;
  /** Resolves once the process has exited and its output is complete. */
  readonly exited: Promise<NodeExit>;
  private readonly child: ChildProcess;
  private collected = '';
  private readonly inbox: NodeMessage[] = [];
  private waiting: ((message: NodeMessage) => void) | null = null;
  private gone: NodeMessage | null = null;

  /** Forks `script` (a compiled module that calls hostLeafNode) with `config` in LEAF_NODE. */
  constructor(script: string, config: LeafNodeConfig, { execArgv, output = 'inherit', cwd }: NodeProcessOptions = {}) {
    this.child = fork(script, [], {
      env: { ...process.env, LEAF_NODE: JSON.stringify(config) },
      ...(execArgv && { execArgv }),
      ...(cwd && { cwd }),
      stdio: output === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    if (output === 'collect') {
      const collect = (chunk: Buffer) => (this.collected = (this.collected + chunk.toString()).slice(-OUTPUT_KEPT));
      this.child.stdout!.on('data', collect);
      this.child.stderr!.on('data', collect);
    }
    let readied: () => void;
    let failed: (error: Error) => void;
    this.whenReady = new Promise<void>((resolve, reject) => {
      readied = resolve;
      failed = reject;
    });
    // Whoever never awaits it (a node killed while booting) must not make it an unhandled rejection.
    this.whenReady.catch(() => undefined);
    this.child.on('message', (message: NodeMessage) => {
      if (message.type === 'ready') {
        this.ready = true;
        readied();
      } else if (message.type === 'error') {
        const error = new Error(`leaf node (pid ${this.child.pid}): ${String(message.message)}`);
        failed(error);
        this.deliver({ type: 'error', message: error.message });
      } else {
        this.deliver(message);
      }
    });
    this.child.on('error', (error) => this.end(`could not be started or signalled: ${error.message}`, failed));
    // 'close' rather than 'exit': by then the output is complete, for the messages of whoever waits.
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => {
        this.end(`exited with ${signal ?? code}`, failed);
        resolve({ code, signal });
      }),
    );
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last 20,000 characters the node wrote, with output 'collect'. */
  get output(): string {
    return this.collected;
  }

  send(message: NodeMessage): void {
    this.child.send(message);
  }

  /** The next message other than 'ready'; throws for { type: 'error' } and once the node has exited. */
  async next(): Promise<NodeMessage> {
    const message =
      this.inbox.shift() ?? this.gone ?? (await new Promise<NodeMessage>((resolve) => (this.waiting = resolve)));
    if (message.type === 'error') throw new Error(String(message.message));
    return message;
  }

  signal(signal: 'SIGKILL' | 'SIGTERM'): void {
    this.child.kill(signal);
  }

  /** Asks the node to close (it gives its unused IDs back and exits); kills it if it has not exited after `timeoutMs`. */
  async stop(timeoutMs: number): Promise<NodeExit> {
    if (this.running && this.child.connected) this.send({ type: 'close' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private deliver(message: NodeMessage): void {
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) waiting(message);
    else this.inbox.push(message);
  }

  private end(why: string, failed: (error: Error) => void): void {
    if (this.gone) return;
    const message = `leaf node (pid ${this.child.pid}) ${why}${this.collected ? `:\n${this.collected}` : ''}`;
    failed(new Error(message));
    this.gone = { type: 'error', message };
    if (this.waiting) this.deliver(this.gone);
  }
}
