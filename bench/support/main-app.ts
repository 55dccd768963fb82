import type { IdGenerator } from 'nest-leaf';
import { startLeafApp } from '../../support/leaf-app.js';
import { LEAF_OPTIONS } from '../settings.js';
import { freshBenchDatabase } from './databases.js';

/** The tags of the in-process and per-ID cases. */
export const MAIN_TAGS = { nextId: 'bench', nextIds: 'bench_batch', nextId32: 'bench_32' } as const;

/** The app both of those cases measure: a database of its own, the three tags, Leaf's dynamic step. */
export async function withMainApp<T>(measure: (ids: IdGenerator, database: string) => Promise<T>): Promise<T> {
  const database = await freshBenchDatabase('main');
  const { app, ids } = await startLeafApp(database, { bizTags: Object.values(MAIN_TAGS), ...LEAF_OPTIONS });
  try {
    return await measure(ids, database);
  } finally {
    await app.close();
  }
}
