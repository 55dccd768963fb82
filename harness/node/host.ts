/**
 * The inside of a node process: one Nest app with LeafModule and its own DataSource (or, with `store`, its own
 * Redis client, or the address of an ID server and a token for it), as one node of a cluster has, driven by a
 * workload (the kill test's loops, the bench's timed rounds). See process.ts for the outside.
 *
 * The node reads its configuration from LEAF_NODE (JSON), exits when the parent goes (the IPC channel is its
 * lifeline), sends { type: 'ready' } once booted, and on SIGTERM or { type: 'close' } closes the app (giving
 * unused IDs back) and exits 0. A failure is sent as { type: 'error', message } and exits 1.
 */
import 'reflect-metadata';
import type { LogLevel } from '@nestjs/common';
import type { IdGenerator, LeafModuleOptions, ReservationEvent } from 'nest-leaf';
import type { HttpLeafStoreOptions } from 'nest-leaf/http';
import {
  startHttpLeafApp,
  startLeafApp,
  startPgLeafApp,
  startPrismaLeafApp,
  startRedisLeafApp,
  type PgTarget,
  type LeafApp,
  type LeafAppConnection,
  type LeafAppOptions,
} from '../leaf-app.js';
import type { RedisTarget } from '../redis.js';

/** A node on `RedisLeafStore`: the node creates its ioredis client (ioredis's defaults) and quits it after the app. */
export interface RedisNodeStore extends RedisTarget {
  readonly kind: 'redis';
}

/** A node on `HttpLeafStore`: it reserves through the ID server at `baseUrl` with `token`, and knows no database. */
export interface HttpNodeStore extends HttpLeafStoreOptions {
  readonly kind: 'http';
  // A string: LEAF_NODE is JSON, which a URL does not survive.
  readonly baseUrl: string;
}

/** A node on `PgLeafStore`: its own pg Pool on the database at the target, no TypeORM. */
export interface PgNodeStore extends PgTarget {
  readonly kind: 'pg';
}

/** A node on `PrismaLeafStore`: a generated client (`client.ts`, run through ts-register.mjs) on @prisma/adapter-pg. */
export interface PrismaNodeStore extends PgTarget {
  readonly kind: 'prisma';
  readonly client: string;
}

/** What every node reads from LEAF_NODE; a workload adds its own fields. */
export interface LeafNodeConfig {
  /** The MariaDB database of the default store (TypeORM's `leaf_alloc`); required unless `store` says otherwise. */
  readonly database?: string;
  /** Another store than the default: Redis at an address, under a key prefix; an ID server; PostgreSQL through pg. */
  readonly store?: RedisNodeStore | HttpNodeStore | PgNodeStore | PrismaNodeStore;
  readonly leaf: LeafModuleOptions;
  /** How the default store reaches MariaDB; unused with `store`. */
  readonly connection?: LeafAppConnection;
  /** Nest's log levels; none when absent. */
  readonly logger?: LogLevel[];
}

export type NodeMessage = { readonly type: string } & Record<string, unknown>;

export interface HostedNode {
  readonly ids: IdGenerator;
  send(message: NodeMessage): void;
}

/** What a node does besides booting and closing; every hook is optional. */
export interface NodeWorkload {
  /** Every reservation, the startup ones included. */
  onReservation?(event: ReservationEvent): void;
  /** After the boot, before { type: 'ready' } goes out. */
  start?(node: HostedNode): void | Promise<void>;
  /** A message from the parent other than { type: 'close' }. */
  onMessage?(message: NodeMessage, node: HostedNode): void | Promise<void>;
  /** On SIGTERM or { type: 'close' }, right before the app closes. */
  beforeClose?(): void;
  /** After the app closed, before the process exits 0. */
  afterClose?(): void | Promise<void>;
}

const describe = (error: unknown) => (error instanceof Error ? (error.stack ?? error.message) : String(error));

/** Runs this process as a node: `workload` is made from the configuration, before the boot. */
export async function hostLeafNode<C extends LeafNodeConfig>(workload: (config: C) => NodeWorkload): Promise<void> {
  const send = (message: NodeMessage) => process.send?.(message);
  // The parent holds the IPC channel open for as long as it lives: never outlive it (it may have died while
  // this module was loading, before the listener existed).
  process.once('disconnect', () => process.exit(1));
  if (!process.connected) process.exit(1);
  try {
    const config = JSON.parse(process.env.LEAF_NODE ?? '') as C;
    const work = workload(config);
    const leaf = await startApp(config, {
      logger: config.logger ?? false,
      ...(work.onReservation && { onReservation: (event: ReservationEvent) => work.onReservation!(event) }),
    });
    const node: HostedNode = { ids: leaf.ids, send };
    await work.start?.(node);

    let closing = false;
    const close = async () => {
      if (closing) return;
      closing = true;
      work.beforeClose?.();
      await leaf.close();
      await work.afterClose?.();
      process.exit(0);
    };
    process.on('SIGTERM', () => void close());
    process.on('message', (message: NodeMessage) => {
      if (message.type === 'close') void close();
      else
        void Promise.resolve(work.onMessage?.(message, node)).catch((error: unknown) =>
          send({ type: 'error', message: describe(error) }),
        );
    });
    send({ type: 'ready' });
  } catch (error) {
    // Exits once the message is out, so the parent learns why.
    if (process.send) process.send({ type: 'error', message: describe(error) }, () => process.exit(1));
    else process.exit(1);
  }
}

/** The node's app on the store its configuration names. */
function startApp(config: LeafNodeConfig, options: LeafAppOptions): Promise<LeafApp> {
  if (config.store?.kind === 'redis') return startRedisLeafApp(config.store, config.leaf, options);
  if (config.store?.kind === 'http') return startHttpLeafApp(config.store, config.leaf, options);
  if (config.store?.kind === 'pg') return startPgLeafApp(config.store, config.leaf, options);
  if (config.store?.kind === 'prisma') return startPrismaLeafApp(config.store, config.leaf, options);
  if (config.store !== undefined) throw new Error(`Unknown node store ${JSON.stringify(config.store)}`);
  if (config.database === undefined) throw new Error('A node on the default store needs a database.');
  return startLeafApp(config.database, config.leaf, config.connection, options);
}
