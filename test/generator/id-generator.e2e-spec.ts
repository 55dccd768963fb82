import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startLeafApp, type LeafApp } from '../../harness/leaf-app.js';
import { freshDatabase, type TestDatabase } from '../../harness/mariadb.js';
import { expectStrictlyIncreasing, sleep } from '../../harness/assertions.js';

/*
 * What the generator does against a real MariaDB: rows made by it and by plain SQL, a database's latency under steady
 * load, and a foreign Leaf node's UPDATE in between. Its behaviour that no engine decides (concurrency, batches across
 * segments, restarts, the step, typed errors, the end of the BIGINT range, tags inserted at runtime) runs on the
 * in-memory store beside the code: libs/leaf/src/id-generator*.spec.ts and tag-registry.spec.ts.
 */

describe('IdGenerator on MariaDB', () => {
  let db: TestDatabase;
  const nodes: LeafApp[] = [];
  const start = async (options: Parameters<typeof startLeafApp>[1]) => {
    const node = await startLeafApp(db.name, options);
    nodes.push(node);
    return node;
  };

  beforeAll(async () => {
    db = await freshDatabase('id_generator');
  });
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.close()));
    await db.query('DELETE FROM leaf_alloc');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('creates the rows of configured tags and issues 1 first', async () => {
    const { ids } = await start({ bizTags: ['order', { tag: 'user', step: 500, description: 'user ids' }] });
    expect(await ids.nextId('order')).toBe(1n);
    expect(await ids.nextId('user')).toBe(1n);
    const rows = await db.query<Array<{ biz_tag: string; step: number; description: string | null }>>(
      "SELECT biz_tag, step, description FROM leaf_alloc WHERE biz_tag <> '__nest_leaf_fence__' ORDER BY biz_tag",
    );
    expect(rows).toEqual([
      { biz_tag: 'order', step: 1000, description: null },
      { biz_tag: 'user', step: 500, description: 'user ids' },
    ]);
  });

  it('owns [M, M+S) of a row inserted by plain SQL, and moves max_id to M+S', async () => {
    await db.query("INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES ('legacy', 5000, 300)");
    const { ids } = await start({ bizTags: ['legacy'], dynamicStep: false, threshold: 0.01 });
    expect(await db.maxId('legacy')).toBe(5300n);
    const first = await ids.nextIds('legacy', 296);
    expect(first[0]).toBe(5000n);
    expect(first.at(-1)).toBe(5295n);
    expect(await db.maxId('legacy')).toBe(5300n); // nothing reserved until 1% of the segment is left
    expect(await ids.nextIds('legacy', 5)).toEqual([5296n, 5297n, 5298n, 5299n, 5300n]);
  });

  it('makes steady load wait on the database for nothing after the first segment', async () => {
    const { ids } = await start({ bizTags: ['steady'], step: 100 });
    for (let tick = 0; tick < 100; tick++) {
      for (let i = 0; i < 30; i++) await ids.nextId('steady'); // about 3,000 IDs/s
      await sleep(10);
    }
    const [state] = ids.inspect();
    expect(state.idsIssued).toBe(3000);
    // Several segments were crossed (the step grows with the rate, so a few suffice), none of them waited for.
    expect(state.reservations).toBeGreaterThan(1);
    expect(state.waits).toBe(0);
  });

  it('never issues an ID a foreign Leaf node reserved in between', async () => {
    const { ids } = await start({ bizTags: ['shared'], step: 100, dynamicStep: false });
    const ours = await ids.nextIds('shared', 50);
    // A Leaf node reserves the way Leaf does: max_id += step, then reads max_id back.
    await db.query("UPDATE leaf_alloc SET max_id = max_id + step WHERE biz_tag = 'shared'");
    const foreignEnd = (await db.maxId('shared'))!;
    const foreign = { start: foreignEnd - 100n, end: foreignEnd };
    ours.push(...(await ids.nextIds('shared', 500)));
    expectStrictlyIncreasing(ours);
    expect(ours.filter((id) => id >= foreign.start && id < foreign.end)).toEqual([]);
  });
});
