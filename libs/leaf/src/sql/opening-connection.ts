import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Socket } from 'node:net';

/** Node's channel for every client socket `net.connect()` creates (public, Node >= 16.17). */
const NET_CLIENT_SOCKET = 'net.client.socket';

/** A connection the pool may have begun opening for one call: what to do when that call is abandoned. */
export interface OpeningConnection {
  /**
   * Destroys the socket of the connection while it is still being opened (its handshake unanswered), so the pool
   * fails it at once instead of waiting out the driver's connect timeout, and its `end()` has nothing left to wait
   * for. Nothing once the connection has opened or failed, nor when no socket of its own was seen.
   */
  abandon(): void;
}

/**
 * Runs `open` (a query runner's `connect()`) and notes the socket the driver creates for it, if it creates one then.
 * Both pools create the socket of a new connection synchronously within that call, so a socket created during it is
 * this call's: mysql2's through `net.connect()`, seen on Node's public `net.client.socket` channel; pg's with
 * `new net.Socket().connect()`, which that channel reports only on Node versions with nodejs/node#58349 (not Node 20),
 * found in the pool too (see `pgSocketsOpenedBy`).
 *
 * Not seen, and left to close once it opens (the caller's fallback): a connection opened later for a call that
 * queued because the pool was full, and any socket a driver creates outside the call.
 */
export function watchOpening(driver: unknown, open: () => Promise<unknown>): OpeningConnection {
  const sockets = new Set<Socket>();
  const onSocket = (message: unknown) => {
    const socket = (message as { socket?: unknown } | null)?.socket;
    if (socket instanceof Socket) sockets.add(socket);
  };
  const pgSockets = pgSocketsOpenedBy(driver);
  let settled = false;
  subscribe(NET_CLIENT_SOCKET, onSocket);
  try {
    // The caller's own use of the connection (runner.query awaits the same promise) handles its outcome.
    open().then(
      () => (settled = true),
      () => (settled = true),
    );
  } catch {
    // Failed before opening anything: the caller's own use of the connection meets the same error.
    settled = true;
  } finally {
    unsubscribe(NET_CLIENT_SOCKET, onSocket);
  }
  for (const socket of pgSockets()) sockets.add(socket);
  return {
    abandon() {
      if (settled) return;
      const reason = new Error('leaf_alloc statement abandoned while its connection was being opened');
      for (const socket of sockets) if (!socket.destroyed) socket.destroy(reason);
    },
  };
}

/**
 * The sockets of the pg clients the pool gains between this call and the call of what it returns: the clients
 * opened in between. Private fields, as pg-pool names a client only once it has connected (its `connect` event):
 * TypeORM 1.x `PostgresDriver.master` (the pool), pg-pool 3.x (pg ^8.23) `Pool._clients`, and pg 8.x
 * `Client.connection.stream` (which pg-pool's own `connectionTimeoutMillis` destroys the same way). Every access
 * guarded: on another driver, or should any of them be missing, no socket (today's behaviour, closed once open).
 */
function pgSocketsOpenedBy(driver: unknown): () => Socket[] {
  const clients = () => {
    try {
      const list = (driver as { master?: { _clients?: unknown } } | null)?.master?._clients;
      return Array.isArray(list) ? (list as unknown[]) : undefined;
    } catch {
      return undefined;
    }
  };
  const before = clients();
  if (before === undefined) return () => [];
  const known = new Set(before);
  return () => {
    const sockets: Socket[] = [];
    for (const client of clients() ?? []) {
      if (known.has(client)) continue;
      try {
        const stream = (client as { connection?: { stream?: unknown } } | null)?.connection?.stream;
        if (stream instanceof Socket) sockets.push(stream);
      } catch {
        // Not a pg client as known: nothing to destroy.
      }
    }
    return sockets;
  };
}
