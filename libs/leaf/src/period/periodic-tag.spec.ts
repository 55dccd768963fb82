import { afterEach, describe, expect, it } from '@jest/globals';
import { InvalidArgumentError } from '../errors/invalid-argument.error.js';
import { InvalidLeafOptionsError } from '../errors/invalid-leaf-options.error.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import { IdGenerator } from '../id-generator.js';
import { resolveLeafOptions, type LeafModuleOptions } from '../leaf.options.js';
import type { ReservationEvent } from '../segment/segment.types.js';
import { InMemoryLeafStore } from '../testing/in-memory-leaf.store.js';

/** A wall clock the test moves. */
class TestClock {
  constructor(public now: number) {}
  readonly read = () => this.now;
}

const generators: IdGenerator[] = [];
const INVOICE = { tag: 'invoice', step: 10, period: 'day', format: 'INV-{yyyy}{MM}{dd}-{seq:6}' } as const;

function generator(store: InMemoryLeafStore, clock: TestClock, options: Partial<LeafModuleOptions> = {}) {
  const ids = new IdGenerator(
    resolveLeafOptions({ bizTags: ['order', INVOICE], step: 10, clock: clock.read, checkIntervalMs: 10, ...options }),
    store,
  );
  generators.push(ids);
  return ids;
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('period tags', () => {
  afterEach(async () => {
    await Promise.all(generators.splice(0).map((ids) => ids.close()));
  });

  it('writes codes in the format and restarts the sequence at 1 every day, one row per day', async () => {
    const store = new InMemoryLeafStore();
    const clock = new TestClock(Date.UTC(2026, 11, 1, 12));
    const ids = generator(store, clock);
    await ids.start();
    expect(await ids.nextCode('invoice')).toBe('INV-20261201-000001');
    expect(await ids.nextId('invoice')).toBe(2n);
    expect(await ids.nextCodes('invoice', 2)).toEqual(['INV-20261201-000003', 'INV-20261201-000004']);
    expect(await ids.nextCode('order')).toBe('1');
    clock.now = Date.UTC(2026, 11, 2, 0, 0, 0, 1);
    expect(await ids.nextCode('invoice')).toBe('INV-20261202-000001');
    expect(store.rows.has('invoice')).toBe(false);
    expect([...store.rows.keys()].sort()).toEqual(['invoice:20261201', 'invoice:20261202', 'order']);
    await tick(50);
    // The past day was closed and its tail given back: its row says how many it issued.
    expect(store.rows.get('invoice:20261201')?.maxId).toBe(5n);
  });

  it("judges a period tag's health on its current row: up asleep in a new period, up reserving its first segment", async () => {
    const store = new InMemoryLeafStore();
    const clock = new TestClock(Date.UTC(2026, 11, 1, 12));
    const ids = generator(store, clock);
    await ids.start();
    const health = () => ids.inspect().find((s) => s.tag === 'invoice')!.health;
    expect(health()).toEqual({ status: 'up', reason: 'serving from memory' });
    // A quiet day: nothing was prepared for the next one, whose row holds nothing until its first call.
    clock.now = Date.UTC(2026, 11, 2, 12);
    await tick(30);
    expect(ids.inspect().find((s) => s.tag === 'invoice')).toMatchObject({ row: 'invoice:20261202', available: 0n });
    expect(health()).toEqual({ status: 'up', reason: 'not used this period yet' });
    store.hold();
    const code = ids.nextCode('invoice');
    await store.whenHeld();
    expect(health()).toEqual({ status: 'up', reason: 'reserving its first segment' });
    store.resume();
    expect(await code).toBe('INV-20261202-000001');
    expect(health()).toEqual({ status: 'up', reason: 'serving from memory' });
  });

  it('reserves the next day before midnight, so the first call after it does not wait', async () => {
    const store = new InMemoryLeafStore();
    const clock = new TestClock(Date.UTC(2026, 11, 1, 23, 59, 30));
    const ids = generator(store, clock);
    await ids.start();
    await ids.nextCode('invoice');
    await tick(50);
    expect(store.rows.get('invoice:20261202')?.maxId).toBe(11n);
    store.hold(); // the database stops answering: only memory can serve
    clock.now = Date.UTC(2026, 11, 2, 0, 0, 0);
    const [code] = await Promise.all([ids.nextCode('invoice')]);
    expect(code).toBe('INV-20261202-000001');
    const [snapshot] = ids.inspect().filter((s) => s.tag === 'invoice');
    expect(snapshot).toMatchObject({ row: 'invoice:20261202', period: 'day', waits: 0, idsIssued: 2 });
    store.resume();
  });

  it('does not reserve a segment for the days a quiet tag sleeps through', async () => {
    const store = new InMemoryLeafStore();
    const clock = new TestClock(Date.UTC(2026, 11, 1, 12));
    const ids = generator(store, clock);
    await ids.start();
    for (let day = 2; day <= 6; day++) {
      clock.now = Date.UTC(2026, 11, day, 12);
      await tick(30);
    }
    expect([...store.rows.keys()].filter((row) => row.startsWith('invoice'))).toEqual(['invoice:20261201']);
    expect(await ids.nextCode('invoice')).toBe('INV-20261206-000001');
  });

  it('computes days in the configured time zone', async () => {
    const store = new InMemoryLeafStore();
    const clock = new TestClock(Date.UTC(2026, 11, 1, 15, 59, 59, 999)); // 23:59:59.999 in Shanghai
    const ids = generator(store, clock, { timeZone: 'Asia/Shanghai' });
    expect(await ids.nextCode('invoice')).toBe('INV-20261201-000001');
    clock.now += 1;
    expect(await ids.nextCode('invoice')).toBe('INV-20261202-000001');
  });

  it('keeps the period when the clock steps back', async () => {
    const store = new InMemoryLeafStore();
    const clock = new TestClock(Date.UTC(2026, 11, 2, 0, 0, 1));
    const ids = generator(store, clock);
    expect(await ids.nextCode('invoice')).toBe('INV-20261202-000001');
    clock.now = Date.UTC(2026, 11, 1, 23, 59, 59);
    expect(await ids.nextCode('invoice')).toBe('INV-20261202-000002');
  });

  it('reads codes back, and refuses what nextCode would not write', async () => {
    const ids = generator(new InMemoryLeafStore(), new TestClock(Date.UTC(2026, 11, 1)));
    expect(ids.parseCode('invoice', 'INV-20261201-000042')).toEqual({ period: '20261201', seq: 42n });
    expect(ids.parseCode('invoice', 'INV-20261201-1234567')).toEqual({ period: '20261201', seq: 1234567n });
    expect(ids.parseCode('order', '42')).toEqual({ period: null, seq: 42n });
    for (const bad of [
      'INV-20261301-000001',
      'INV-20260230-000001',
      'INV-20261201-0000042',
      'ORD-20261201-000001',
      'INV-20261201-000000',
    ]) {
      expect(() => ids.parseCode('invoice', bad)).toThrow(InvalidArgumentError);
    }
    expect(() => ids.parseCode('order', '007')).toThrow(InvalidArgumentError);
    expect(() => ids.parseCode('invoice', 42 as unknown as string)).toThrow(/expects a string/);
  });

  it('refuses batches past maxBatchSize and unknown tags with typed errors, issuing nothing', async () => {
    const store = new InMemoryLeafStore();
    const ids = generator(store, new TestClock(Date.UTC(2026, 11, 1)), { maxBatchSize: 50 });
    await expect(ids.nextCodes('invoice', 51)).rejects.toThrow(
      new InvalidArgumentError('count', 'nextIds count must be an integer from 1 to 50 (maxBatchSize), got 51.'),
    );
    await expect(ids.nextCodes('invoice', 0)).rejects.toThrow(InvalidArgumentError);
    await expect(ids.nextCode('no_such_tag')).rejects.toThrow(UnknownBizTagError);
    expect(await ids.nextCodes('invoice', 50)).toHaveLength(50);
    expect(ids.parseCode('invoice', await ids.nextCode('invoice')).seq).toBe(51n);
  });

  it('reports reservations under the tag with the row apart, and refuses a period row asked for by name', async () => {
    const store = new InMemoryLeafStore();
    const ids = generator(store, new TestClock(Date.UTC(2026, 11, 1)));
    const events: ReservationEvent[] = [];
    ids.onReservation((event) => events.push(event));
    await ids.start();
    expect(events.find((e) => e.row === 'invoice:20261201')).toMatchObject({ tag: 'invoice', ok: true });
    await expect(ids.nextId('invoice:20261201')).rejects.toThrow(
      /is a row of the period tag "invoice": ask for "invoice"/,
    );
    await expect(ids.nextCode('invoice:20261201')).rejects.toThrow(InvalidArgumentError);
  });

  it('refuses bad formats, periods and zones at bootstrap, naming the tag and the token', () => {
    const refuse = (options: Partial<LeafModuleOptions>, message: RegExp) => {
      expect(() => resolveLeafOptions({ bizTags: ['a'], ...options })).toThrow(InvalidLeafOptionsError);
      expect(() => resolveLeafOptions({ bizTags: ['a'], ...options })).toThrow(message);
    };
    refuse(
      { bizTags: [{ tag: 'inv', format: 'INV-{mm}-{seq}' }] },
      /"inv": unknown token \{mm\} \(did you mean \{MM\}/,
    );
    refuse({ bizTags: [{ tag: 'inv', format: 'INV-{yyyy}' }] }, /exactly one \{seq\}/);
    refuse({ bizTags: [{ tag: 'inv', period: 'day', format: 'INV-{yyyy}{MM}-{seq}' }] }, /add \{dd\}/);
    refuse({ bizTags: [{ tag: 'inv', format: 'INV-{seq:0}' }] }, /width/);
    refuse({ bizTags: [{ tag: 'inv', format: 'INV-{seq' }] }, /unmatched "\{"/);
    refuse({ bizTags: [{ tag: 'inv', period: 'week' as 'day' }] }, /"inv": expected one of 'day'/);
    refuse({ timeZone: 'Mars/Olympus' }, /IANA time zone/);
    refuse({ bizTags: [{ tag: 'inv', period: 'day', format: '{yyyy}{MM}{dd}{seq}' }, 'inv:20261201'] }, /names a row/);
  });
});
