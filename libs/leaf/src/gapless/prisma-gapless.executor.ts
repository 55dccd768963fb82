/**
 * A Prisma interactive transaction as a `GaplessExecutor`: the number is taken on the transaction's connection, with
 * the statements of the SQL store's Prisma adapter (raw SQL, the driver's error codes). Structural: nothing of Prisma
 * is loaded.
 */
import { runPrismaStatement, type PrismaRawLike } from '../prisma/prisma-leaf.store.js';
import type { GaplessEngine, GaplessExecutor } from './gapless-executor.js';

/**
 * `tx`, the client `prisma.$transaction(async (tx) => …)` hands its callback, as the `manager` of `nextGapless`:
 * `ids.nextGapless('invoice', { manager: prismaGaplessExecutor(tx, 'postgres') })`. `engine` is the datasource's:
 * `'postgres'`, `'mariadb'`, `'mysql'` or `'sqlite'`. The PrismaClient itself is refused, being in no transaction.
 *
 * SQLite: Prisma's better-sqlite3 adapter waits for the write lock on the main thread, up to its own `timeout`.
 */
export function prismaGaplessExecutor(tx: PrismaRawLike, engine: GaplessEngine): GaplessExecutor {
  return {
    engine,
    // The client of an interactive transaction has no $connect (Prisma denies it there): that tells it from the
    // PrismaClient, whose statements would each commit on their own.
    inTransaction: () => typeof (tx as { $connect?: unknown }).$connect !== 'function',
    query: (sql, params) => runPrismaStatement(tx, engine, sql, params),
  };
}
