import type { IdGenerator } from 'nest-leaf';
import { startLeafApp } from '../../harness/leaf-app.js';
import { LEAF_OPTIONS } from '../settings.js';
import { freshBenchDatabase } from './databases.js';

/** The tags of the in-process and per-ID cases. */
export const MAIN_TAGS = {
  nextId: 'bench',
  nextIdSync: 'bench_sync',
  nextIds: 'bench_batch',
  nextId32: 'bench_32',
  nextCode: 'bench_invoice',
} as const;

/** The period tag of the nextCode case: a daily invoice number, as issue #12 has it. */
const INVOICE = { tag: MAIN_TAGS.nextCode, period: 'day', format: 'INV-{yyyy}{MM}{dd}-{seq:6}' } as const;

/** The app both of those cases measure: a database of its own, the three tags, Leaf's dynamic step. */
export async function withMainApp<T>(measure: (ids: IdGenerator, database: string) => Promise<T>): Promise<T> {
  const database = await freshBenchDatabase('main');
  const { app, ids } = await startLeafApp(database, {
    bizTags: [MAIN_TAGS.nextId, MAIN_TAGS.nextIdSync, MAIN_TAGS.nextIds, MAIN_TAGS.nextId32, INVOICE],
    ...LEAF_OPTIONS,
  });
  try {
    return await measure(ids, database);
  } finally {
    await app.close();
  }
}
