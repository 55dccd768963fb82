import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { expectUnique } from './support/assertions.js';
import { startLeafApp, type LeafApp } from '../support/leaf-app.js';
import { freshDatabase, type TestDatabase } from '../support/mariadb.js';

describe('graceful shutdown gives the unused tail back', () => {
  let db: TestDatabase;
  const nodes: LeafApp[] = [];
  const start = async (threshold = 0.2) => {
    const node = await startLeafApp(db.name, { bizTags: ['order'], step: 100, dynamicStep: false, threshold });
    nodes.push(node);
    return node;
  };

  beforeAll(async () => {
    db = await freshDatabase('give_back');
  });
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.close()));
    await db.query('DELETE FROM leaf_alloc');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('loses no ID in a rolling restart, current and standby segment both', async () => {
    const first = await start(0.5);
    const before = await first.ids.nextIds('order', 160); // [1, 101) used up, standby [101, 201) in use, [201, 301) reserved
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(first.ids.inspect()[0].nextReady).toBe(true);
    await first.close();
    expect(await db.maxId('order')).toBe(161n);
    const second = await start(0.5);
    expect(await second.ids.nextId('order')).toBe(before.at(-1)! + 1n);
  });

  it('returns nothing when another node reserved in between, and nothing is issued twice', async () => {
    const a = await start();
    const b = await start();
    const issued = [...(await a.ids.nextIds('order', 10)), ...(await b.ids.nextIds('order', 10))];
    const maxIdBefore = await db.maxId('order'); // b reserved after a: a's tail is no longer the top
    await a.close();
    expect(await db.maxId('order')).toBe(maxIdBefore);
    await b.close();
    const c = await start();
    issued.push(...(await c.ids.nextIds('order', 300)));
    expectUnique(issued);
  });
});
