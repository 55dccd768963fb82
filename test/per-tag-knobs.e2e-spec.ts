import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { LeafModuleOptions, ReservationEvent } from 'nest-leaf';
import { startLeafApp, tagSnapshot, type LeafApp } from '../support/leaf-app.js';
import { freshDatabase, type TestDatabase } from '../support/mariadb.js';

// Seed 002's knobs on MariaDB: a threshold per tag, and step 1 as the switch that turns batching off.

let db: TestDatabase;
let node: LeafApp | undefined;
let events: ReservationEvent[];

beforeAll(async () => {
  db = await freshDatabase('per_tag_knobs');
});
afterEach(async () => {
  await node?.close();
  node = undefined;
});
afterAll(async () => {
  await db?.close();
});

async function start(options: LeafModuleOptions): Promise<LeafApp> {
  events = [];
  node = await startLeafApp(db.name, options, {}, { onReservation: (event) => events.push(event) });
  return node;
}

/** The successful reservations of `tag` so far, as `trigger:step`. */
function reservations(tag: string): string[] {
  return events.filter((e) => e.tag === tag && e.ok).map((e) => `${e.trigger}:${e.step}`);
}

/** Waits until no reservation of `tag` is in flight (the background prefetch landed). */
async function settled(app: LeafApp, tag: string): Promise<void> {
  for (const deadline = Date.now() + 5000; tagSnapshot(app.ids, tag).loading;) {
    if (Date.now() > deadline) throw new Error(`a reservation of "${tag}" is still in flight after 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('threshold per tag', () => {
  it("reserves a tag's next segment at its own threshold, and other tags' at the module's", async () => {
    const app = await start({
      bizTags: [{ tag: 'early', step: 100, threshold: 0.5 }, { tag: 'late', step: 100 }, 'plain'],
      threshold: '0.1',
      step: 100,
      dynamicStep: false,
    });
    for (const [tag, prefetchAfter] of [
      ['early', 51], // 50 of 100 left after the 50th ID: the 51st starts the prefetch
      ['late', 91], // the module's 0.1
      ['plain', 91],
    ] as const) {
      await app.ids.nextIds(tag, prefetchAfter - 1);
      await settled(app, tag);
      expect([tag, reservations(tag)]).toEqual([tag, ['startup:100']]);
      await app.ids.nextId(tag);
      await settled(app, tag);
      expect([tag, reservations(tag)]).toEqual([tag, ['startup:100', 'prefetch:100']]);
    }
  });
});

describe('step 1 with dynamicStep: false (batching off)', () => {
  it('costs one reservation of one ID per ID issued: each ID taken reserves the next in the background', async () => {
    const app = await start({ bizTags: [{ tag: 'one', step: 1 }], dynamicStep: false });
    expect(reservations('one')).toEqual(['startup:1']);
    for (let i = 1; i <= 20; i++) {
      expect(await app.ids.nextId('one')).toBe(BigInt(i));
      await settled(app, 'one');
      expect(reservations('one')).toHaveLength(i + 1);
    }
    expect(new Set(reservations('one').slice(1))).toEqual(new Set(['prefetch:1']));
    expect(await db.maxId('one')).toBe(22n); // 1 … 20 issued, 21 in memory
  });

  it('covers callers already waiting with one reservation sized for all of them, not one round trip each', async () => {
    const app = await start({ bizTags: [{ tag: 'burst', step: 1 }], dynamicStep: false });
    await app.ids.nextId('burst'); // 1 issued; 2 prefetched
    await settled(app, 'burst');
    events.length = 0;
    const ids = await Promise.all(Array.from({ length: 30 }, () => app.ids.nextId('burst')));
    expect(ids).toEqual(Array.from({ length: 30 }, (_, i) => BigInt(i + 2)));
    await settled(app, 'burst');
    // The first caller takes 2 and starts the prefetch of 3; the other 29 wait. 3 lands and serves one of them, then
    // one reservation of 28 serves the rest, and the prefetch of one ID follows.
    expect(reservations('burst')).toEqual(['prefetch:1', 'on-demand:28', 'prefetch:1']);
    expect(tagSnapshot(app.ids, 'burst').waits).toBe(29);
  });

  it('is not batching off while dynamicStep is on: a step-1 tag grows like any other', async () => {
    const app = await start({ bizTags: [{ tag: 'grows', step: 1 }] });
    for (let i = 0; i < 5; i++) {
      await app.ids.nextId('grows');
      await settled(app, 'grows');
    }
    // Segments that last less than segmentDurationMs double, and the rate adds its own floor.
    const steps = events.filter((e) => e.tag === 'grows').map((e) => e.step);
    expect(steps[0]).toBe(1);
    expect(steps.slice(1).every((step, i) => step >= 2 * steps[i])).toBe(true);
    expect(steps.length).toBeLessThan(6); // fewer reservations than IDs
  });
});
