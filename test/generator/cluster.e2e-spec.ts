import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectStrictlyIncreasing, expectUnique } from '../../harness/assertions.js';
import { startLeafApp, type LeafApp } from '../../harness/leaf-app.js';
import { freshDatabase, type TestDatabase } from '../../harness/mariadb.js';

describe('three independent Nest apps on one tag', () => {
  let db: TestDatabase;
  let nodes: LeafApp[] = [];

  beforeAll(async () => {
    db = await freshDatabase('cluster');
    nodes = await Promise.all(
      Array.from({ length: 3 }, () =>
        startLeafApp(db.name, { bizTags: ['order'], step: 20, threshold: 0.5, dynamicStep: false }),
      ),
    );
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await db?.close();
  });

  it('never hands the same ID to two apps', async () => {
    const perNode = await Promise.all(
      nodes.map(async (node) => {
        const issued: bigint[] = [];
        await Promise.all(
          Array.from({ length: 20 }, async (_, loop) => {
            for (let i = 0; i < 100; i++) {
              if ((loop + i) % 10 === 0) issued.push(...(await node.ids.nextIds('order', 7)));
              else issued.push(await node.ids.nextId('order'));
            }
          }),
        );
        return issued;
      }),
    );
    for (const issued of perNode) expectStrictlyIncreasing(issued);
    const all = perNode.flat();
    expect(all.length).toBe(3 * 20 * (90 + 10 * 7));
    expectUnique(all);
    // Every app reserved several segments, so their ranges interleaved in the table.
    for (const node of nodes) expect(node.ids.inspect()[0].reservations).toBeGreaterThan(3);
    const maxId = (await db.maxId('order'))!;
    expect(all.every((id) => id < maxId)).toBe(true);
  });
});
