import net from 'node:net';

export interface FaultProxyOptions {
  /** The real server. */
  readonly target: { readonly host: string; readonly port: number };
  /** Where the proxy listens; port 0 picks a free one. */
  readonly host?: string;
  readonly port?: number;
  /** Delay added to every chunk in each direction, from the start. */
  readonly latencyMs?: number;
}

export type FaultMode = 'pass' | 'cut' | 'stall';

export interface FaultProxyStats {
  /** Client connections accepted since the proxy started (refused ones included). */
  accepted: number;
  /** Connections refused while cut. */
  refused: number;
  /** Connections open now. */
  open: number;
  bytesToServer: number;
  bytesToClient: number;
}

/** One direction of one connection: chunks wait here for their due time, or for the end of a stall. */
class Pipe {
  private readonly queue: { chunk: Buffer; due: number }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(
    private readonly proxy: FaultProxy,
    private readonly to: net.Socket,
    private readonly count: (bytes: number) => void,
  ) {}

  push(chunk: Buffer): void {
    this.queue.push({ chunk, due: performance.now() + this.proxy.latencyMs });
    this.pump();
  }

  /** The sending side closed: end the other once everything queued has gone through. */
  end(): void {
    this.ended = true;
    this.pump();
  }

  clear(): void {
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  pump(): void {
    if (this.timer || this.proxy.mode === 'stall' || this.to.destroyed) return;
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0].due <= now) {
      const { chunk } = this.queue.shift()!;
      this.count(chunk.length);
      this.to.write(chunk);
    }
    if (this.queue.length > 0) {
      // Chunks keep their order: only the head is ever scheduled.
      this.timer = setTimeout(
        () => {
          this.timer = null;
          this.pump();
        },
        Math.max(0, this.queue[0].due - now),
      );
    } else if (this.ended) {
      this.to.end();
    }
  }
}

interface Connection {
  readonly client: net.Socket;
  readonly server: net.Socket;
  readonly up: Pipe;
  readonly down: Pipe;
}

/**
 * A TCP proxy for fault injection between the code under test and a real database: latency in each
 * direction, a cut (every connection dropped, new ones refused) and a stall (connections stay open, no byte
 * passes). A stall holds the bytes rather than dropping them, so when it ends a statement the client gave up
 * on still reaches the server: the worst case for a reservation that timed out.
 */
export class FaultProxy {
  mode: FaultMode = 'pass';
  latencyMs: number;
  readonly stats: FaultProxyStats = { accepted: 0, refused: 0, open: 0, bytesToServer: 0, bytesToClient: 0 };
  private readonly connections = new Set<Connection>();
  private target: FaultProxyOptions['target'];

  private constructor(
    private readonly server: net.Server,
    private readonly options: FaultProxyOptions,
  ) {
    this.latencyMs = options.latencyMs ?? 0;
    this.target = options.target;
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const server = net.createServer();
    const proxy = new FaultProxy(server, options);
    server.on('connection', (socket) => proxy.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Adds `ms` to every chunk in each direction (a round trip gains twice that). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Drops every open connection and refuses new ones until `restore()`. */
  cut(): void {
    this.mode = 'cut';
    for (const connection of this.connections) this.drop(connection);
  }

  /** Keeps connections open and accepts new ones, but passes no byte until `restore()`. */
  stall(): void {
    this.mode = 'stall';
  }

  /** Passes bytes again, with the latency set; a stall's held bytes go through first. */
  restore(): void {
    this.mode = 'pass';
    for (const { up, down } of this.connections) {
      up.pump();
      down.pump();
    }
  }

  /**
   * Sends new connections to another server, as a virtual IP or a DNS name moved to a promoted replica: the open
   * connections are dropped (their server is gone), and clients reconnect to the same address.
   */
  retarget(target: FaultProxyOptions['target']): void {
    this.target = target;
    for (const connection of this.connections) this.drop(connection);
  }

  async close(): Promise<void> {
    for (const connection of this.connections) this.drop(connection);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.stats.accepted++;
    if (this.mode === 'cut') {
      this.stats.refused++;
      client.destroy();
      return;
    }
    const server = net.connect(this.target.port, this.target.host);
    const connection: Connection = {
      client,
      server,
      up: new Pipe(this, server, (n) => (this.stats.bytesToServer += n)),
      down: new Pipe(this, client, (n) => (this.stats.bytesToClient += n)),
    };
    this.connections.add(connection);
    this.stats.open++;
    client.setNoDelay(true);
    server.setNoDelay(true);
    client.on('data', (chunk) => connection.up.push(chunk));
    server.on('data', (chunk) => connection.down.push(chunk));
    client.on('end', () => connection.up.end());
    server.on('end', () => connection.down.end());
    // A client that gives up during a stall must not take back what it sent: its bytes still reach the server.
    client.on('close', () => {
      if (this.mode !== 'stall') this.forget(connection, server);
      else server.once('close', () => this.forget(connection, client));
      connection.up.end();
    });
    server.on('close', () => this.forget(connection, client));
    client.on('error', () => undefined);
    server.on('error', () => client.destroy());
  }

  private forget(connection: Connection, other: net.Socket): void {
    if (!this.connections.delete(connection)) return;
    this.stats.open--;
    connection.up.clear();
    connection.down.clear();
    other.destroy();
  }

  private drop(connection: Connection): void {
    connection.up.clear();
    connection.down.clear();
    connection.client.destroy();
    connection.server.destroy();
  }
}
