import { describe, expect, it } from '@jest/globals';
import type { IdGenerator } from '../id-generator.js';
import { generatorsWith, recordReservations, settled, tagSnapshot } from '../id-generator.spec-helpers.js';
import type { LeafModuleOptions } from '../leaf.options.js';
import type { ReservationEvent } from './segment.types.js';
import { InMemoryLeafStore } from '../testing/in-memory-leaf.store.js';

// A tag's own knobs (its `bizTags` entry's threshold, step 1 as the switch that turns batching off), through a real
// generator on the in-memory store.

const generator = generatorsWith({ bizTags: ['order'] }); // each test names its own tags
let store: InMemoryLeafStore;
let events: ReservationEvent[];

/** A started generator on a new store, every reservation recorded from its startup on. */
async function start(options: LeafModuleOptions): Promise<IdGenerator> {
  store = new InMemoryLeafStore();
  const ids = generator(store, options);
  events = recordReservations(ids);
  await ids.start();
  return ids;
}

/** The successful reservations of `tag` so far, as `trigger:step`. */
function reservations(tag: string): string[] {
  return events.filter((e) => e.tag === tag && e.ok).map((e) => `${e.trigger}:${e.step}`);
}

describe('threshold per tag', () => {
  it("reserves a tag's next segment at its own threshold, and other tags' at the module's", async () => {
    const ids = await start({
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
      await ids.nextIds(tag, prefetchAfter - 1);
      await settled(ids, tag);
      expect([tag, reservations(tag)]).toEqual([tag, ['startup:100']]);
      await ids.nextId(tag);
      await settled(ids, tag);
      expect([tag, reservations(tag)]).toEqual([tag, ['startup:100', 'prefetch:100']]);
    }
  });
});

describe('step 1 with dynamicStep: false (batching off)', () => {
  it('costs one reservation of one ID per ID issued: each ID taken reserves the next in the background', async () => {
    const ids = await start({ bizTags: [{ tag: 'one', step: 1 }], dynamicStep: false });
    expect(reservations('one')).toEqual(['startup:1']);
    for (let i = 1; i <= 20; i++) {
      expect(await ids.nextId('one')).toBe(BigInt(i));
      await settled(ids, 'one');
      expect(reservations('one')).toHaveLength(i + 1);
    }
    expect(new Set(reservations('one').slice(1))).toEqual(new Set(['prefetch:1']));
    expect(store.rows.get('one')!.maxId).toBe(22n); // 1 … 20 issued, 21 in memory
  });

  it('covers callers already waiting with one reservation sized for all of them, not one round trip each', async () => {
    const ids = await start({ bizTags: [{ tag: 'burst', step: 1 }], dynamicStep: false });
    await ids.nextId('burst'); // 1 issued; 2 prefetched
    await settled(ids, 'burst');
    events.length = 0;
    const issued = await Promise.all(Array.from({ length: 30 }, () => ids.nextId('burst')));
    expect(issued).toEqual(Array.from({ length: 30 }, (_, i) => BigInt(i + 2)));
    await settled(ids, 'burst');
    // The first caller takes 2 and starts the prefetch of 3; the other 29 wait. 3 lands and serves one of them, then
    // one reservation of 28 serves the rest, and the prefetch of one ID follows.
    expect(reservations('burst')).toEqual(['prefetch:1', 'on-demand:28', 'prefetch:1']);
    expect(tagSnapshot(ids, 'burst').waits).toBe(29);
  });

  it('is not batching off while dynamicStep is on: a step-1 tag grows like any other', async () => {
    const ids = await start({ bizTags: [{ tag: 'grows', step: 1 }] });
    for (let i = 0; i < 5; i++) {
      await ids.nextId('grows');
      await settled(ids, 'grows');
    }
    // Segments that last less than segmentDurationMs double, and the rate adds its own floor.
    const steps = events.filter((e) => e.tag === 'grows').map((e) => e.step);
    expect(steps[0]).toBe(1);
    expect(steps.slice(1).every((step, i) => step >= 2 * steps[i])).toBe(true);
    expect(steps.length).toBeLessThan(6); // fewer reservations than IDs
  });
});
