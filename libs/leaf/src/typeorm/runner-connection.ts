import type { QueryRunner } from 'typeorm';

// What the TypeORM store does with the driver connection under a query runner, beyond running statements on it.

/**
 * Destroys the connection under a runner that stopped answering, so the pool opens a new one instead of
 * handing the stalled one to the next statement. A connection still being opened has its socket destroyed by
 * `OpeningConnection.abandon()` already; one this store could not see being opened is destroyed once it opens.
 */
export function discard(runner: QueryRunner): void {
  void runner
    .connect()
    .then((connection: unknown) => {
      const raw = connection as { destroy?: () => void; stream?: { destroy?: () => void } } | undefined;
      // pg's pool client: releasing with an error removes it from the pool and ends its socket.
      const pg = runner as unknown as { releasePostgresConnection?: (error: Error) => Promise<void> };
      if (typeof pg.releasePostgresConnection === 'function') {
        return pg.releasePostgresConnection(new Error('leaf_alloc statement timed out'));
      }
      // mysql2's pool connection: destroy() takes it out of the pool but only half-closes the socket, which a
      // stalled peer never acknowledges; the socket itself is destroyed too.
      raw?.destroy?.();
      raw?.stream?.destroy?.();
      return runner.release();
    })
    .catch(() => undefined);
}

/** Whether the MySQL-protocol server behind `runner` is MariaDB; asked once per store. */
export async function isMariaDb(runner: QueryRunner): Promise<boolean> {
  // mysql2 keeps the version string of the handshake ("5.5.5-10.11.6-MariaDB-…"): known without a round trip.
  const connection = (await runner.connect()) as { _handshakePacket?: { serverVersion?: unknown } } | undefined;
  const version = connection?._handshakePacket?.serverVersion;
  if (typeof version === 'string') return /mariadb/i.test(version);
  const [row] = (await runner.query('SELECT VERSION() AS version')) as Array<{ version?: unknown }>;
  return /mariadb/i.test(String(row?.version));
}
