import { describe, expect, it } from '@jest/globals';
import { FenceRequiredError } from '../errors/fence-required.error.js';
import { generatorsWith } from '../id-generator.spec-helpers.js';
import { resolveLeafOptions } from '../leaf.options.js';
import { PeriodRowStore } from '../period/period-row.store.js';
import type { FenceOutcome, FenceSkips, ReservedRange } from '../store/leaf-store.js';
import { skipFor } from '../store/fence-skips.js';
import { InMemoryLeafStore } from '../testing/in-memory-leaf.store.js';
import { Fencer } from './fencer.js';

/**
 * An in-memory store that fails over: `failover()` promotes a "replica" that lost the reservations made since
 * `replicate()`, and names a new server; until fenced, `reserve` refuses with `FenceRequiredError`, as a SQL or Redis
 * store on a promoted server does.
 */
class FailoverStore extends InMemoryLeafStore {
  server = 1;
  fencedFor = 1;
  fences = 0;
  private replica = new Map<string, bigint>();

  replicate(): void {
    this.replica = new Map([...this.rows].map(([tag, row]) => [tag, row.maxId]));
  }

  failover(): void {
    for (const [tag, maxId] of this.replica) this.rows.get(tag)!.maxId = maxId;
    this.server++;
  }

  override async reserve(bizTag: string, step: number, signal?: AbortSignal): Promise<ReservedRange> {
    if (this.fencedFor !== this.server)
      throw new FenceRequiredError(`server ${this.server}`, `server ${this.fencedFor}`);
    return super.reserve(bizTag, step, signal);
  }

  async fence(skips: FenceSkips): Promise<FenceOutcome> {
    const previous = `server ${this.fencedFor}`;
    if (this.fencedFor === this.server) return { fenced: false, identity: previous, previous, rows: 0 };
    this.fences++;
    for (const [tag, row] of this.rows) row.maxId += skipFor(skips, tag);
    this.fencedFor = this.server;
    return { fenced: true, identity: `server ${this.server}`, previous, rows: this.rows.size };
  }
}

const generator = generatorsWith({ bizTags: ['order'], step: 10, dynamicStep: false, failoverSkip: 1000 });

describe('Fencer', () => {
  it('fences once when the store asks, then reserves again; no ID repeats after a lost window', async () => {
    const store = new FailoverStore();
    const ids = generator(store);
    await ids.start();
    store.replicate();
    const before = await ids.nextIds('order', 35); // reservations past what the replica holds: the lost window
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve)); // the prefetch lands first
    store.failover();
    const after = [...(await ids.nextIds('order', 30)), ...(await ids.nextIds('order', 30))];
    expect(new Set([...before, ...after]).size).toBe(before.length + after.length);
    expect(store.fences).toBe(1);
    expect(ids.inspect()[0].failedCalls).toBe(0);
  });

  it('shares one fence among concurrent callers and sizes it per tag (period rows take their tag’s skip)', async () => {
    const store = new FailoverStore({ order: { step: 10 }, 'invoice:2026': { step: 10 } });
    const options = resolveLeafOptions({
      bizTags: ['order', { tag: 'invoice', period: 'year', format: '{yyyy}-{seq}', failoverSkip: 5 }],
      failoverSkip: 1000,
    });
    const fencer = Fencer.of(store, options, { log: () => undefined, warn: () => undefined, error: () => undefined });
    store.failover();
    const outcomes = await Promise.all([fencer.fence(), fencer.fence(), fencer.fence()]);
    expect(store.fences).toBe(1);
    expect(new Set(outcomes).size).toBe(1);
    expect(store.rows.get('order')!.maxId).toBe(1001n);
    expect(store.rows.get('invoice:2026')!.maxId).toBe(6n);
    expect(await fencer.fence()).toMatchObject({ fenced: false });
  });

  it("reaches the store's fence through a period's row store", () => {
    const store = new FailoverStore();
    const rows = new PeriodRowStore(store, resolveLeafOptions({ bizTags: ['x'] }).bizTags[0]);
    expect(typeof rows.fence).toBe('function');
    expect(
      typeof new PeriodRowStore(new InMemoryLeafStore(), resolveLeafOptions({ bizTags: ['x'] }).bizTags[0]).fence,
    ).toBe('undefined');
  });
});
