import { afterEach, describe, expect, it } from '@jest/globals';
import { Inject, Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { IdGenerator, InvalidLeafOptionsError, LeafAdmin, LeafUnavailableError, UnknownBizTagError } from 'nest-leaf';
import { InMemoryLeafStore, LeafTestingModule, type LeafTestingOptions } from 'nest-leaf/testing';

/** What a user's code looks like: a service that injects the generator. */
@Injectable()
class OrdersService {
  constructor(@Inject(IdGenerator) private readonly ids: IdGenerator) {}

  async place(): Promise<{ id: bigint }> {
    return { id: await this.ids.nextId('order') };
  }
}

const modules: TestingModule[] = [];

async function compile(options?: LeafTestingOptions): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [LeafTestingModule.forRoot(options)],
    providers: [OrdersService],
  }).compile();
  modules.push(moduleRef);
  return moduleRef.init();
}

describe('LeafTestingModule', () => {
  afterEach(async () => {
    await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
  });

  it('gives a service that injects IdGenerator the IDs 1n, 2n, 3n, with no database', async () => {
    const moduleRef = await compile({ bizTags: ['order'] });
    const orders = moduleRef.get(OrdersService);
    expect([await orders.place(), await orders.place(), await orders.place()]).toEqual([
      { id: 1n },
      { id: 2n },
      { id: 3n },
    ]);
    expect(moduleRef.get(InMemoryLeafStore).rows.get('order')).toEqual({ maxId: 1001n, step: 1000, description: null });
  });

  it('keeps Leaf’s rule for unknown tags: they throw, they are not made up', async () => {
    const ids = (await compile({ bizTags: ['order'] })).get(IdGenerator);
    await expect(ids.nextId('invoice')).rejects.toBeInstanceOf(UnknownBizTagError);
  });

  it('gives every compiled module a fresh table, even from one module definition', async () => {
    const leaf = LeafTestingModule.forRoot({ bizTags: ['order'] });
    for (let i = 0; i < 2; i++) {
      const moduleRef = await Test.createTestingModule({ imports: [leaf] }).compile();
      modules.push(moduleRef);
      await moduleRef.init();
      expect(await moduleRef.get(IdGenerator).nextId('order')).toBe(1n);
    }
  });

  it('serves the rows of a seeded store when bizTags is left out, and refuses a module with no tag at all', async () => {
    const store = new InMemoryLeafStore({ order: { maxId: 500n, step: 10 } });
    const moduleRef = await compile({ store });
    expect(moduleRef.get(InMemoryLeafStore)).toBe(store);
    expect(await moduleRef.get(OrdersService).place()).toEqual({ id: 500n });
    expect(() => LeafTestingModule.forRoot()).toThrow(InvalidLeafOptionsError);
    expect(() => LeafTestingModule.forRoot({ bizTags: ['order'], step: 0 })).toThrow(/"step"/);
  });

  it('lets a test hold a reservation to see what the service does while the database is slow', async () => {
    const store = new InMemoryLeafStore();
    store.hold();
    const leaf = LeafTestingModule.forRoot({
      bizTags: ['order'],
      step: 2,
      dynamicStep: false,
      retryMinDelayMs: 10,
      store,
    });
    const moduleRef = await Test.createTestingModule({ imports: [leaf], providers: [OrdersService] }).compile();
    modules.push(moduleRef);
    const init = moduleRef.init();
    await store.whenHeld();
    expect(store.held).toEqual([{ bizTag: 'order', step: 2 }]); // the startup reservation
    store.releaseNext();
    await init;

    const orders = moduleRef.get(OrdersService);
    expect([await orders.place(), await orders.place()]).toEqual([{ id: 1n }, { id: 2n }]); // from memory
    await store.whenHeld(); // the prefetch of the next segment, stuck in the "database"
    let settled = false;
    const stalled = orders.place().finally(() => (settled = true)); // memory is empty: this call waits
    store.failNext(new Error('connection lost')); // transient: the generator retries, the caller keeps waiting
    await store.whenHeld();
    expect(settled).toBe(false);
    store.releaseNext();
    await expect(stalled).resolves.toEqual({ id: 3n });
    expect(store.reserveCalls).toBe(3);
  });

  it('provides LeafAdmin over the same store', async () => {
    const moduleRef = await compile({ bizTags: ['order'] });
    const admin = moduleRef.get(LeafAdmin);
    await admin.createTag('invoice', { step: 50, startAt: 1000n, description: 'invoices' });
    expect(moduleRef.get(InMemoryLeafStore).rows.get('invoice')).toEqual({
      maxId: 1000n,
      step: 50,
      description: 'invoices',
    });
    expect(await moduleRef.get(IdGenerator).nextIds('invoice', 2)).toEqual([1000n, 1001n]);
    await admin.setStep('invoice', 70);
    expect(moduleRef.get(InMemoryLeafStore).rows.get('invoice')?.step).toBe(70);
  });

  it('closes the generator when the testing module closes', async () => {
    const moduleRef = await compile({ bizTags: ['order'] });
    const ids = moduleRef.get(IdGenerator);
    expect(await ids.nextId('order')).toBe(1n);
    await moduleRef.close();
    modules.splice(modules.indexOf(moduleRef), 1);
    expect(ids.isRunning).toBe(false);
    await expect(ids.nextId('order')).rejects.toBeInstanceOf(LeafUnavailableError);
    // The unused tail went back to the table, as LeafModule does on shutdown.
    expect(moduleRef.get(InMemoryLeafStore).rows.get('order')?.maxId).toBe(2n);
  });
});

describe('InMemoryLeafStore', () => {
  it('throws what the SQL stores throw, and says how to use held reservations', async () => {
    const store = new InMemoryLeafStore({ near: { maxId: 9_223_372_036_854_775_790n, step: 10 } });
    await expect(store.reserve('near', 10)).resolves.toEqual({
      start: 9_223_372_036_854_775_790n,
      end: 9_223_372_036_854_775_800n,
    });
    await expect(store.reserve('near', 10)).rejects.toThrow(/exhausted/);
    await expect(store.reserve('missing', 10)).rejects.toBeInstanceOf(UnknownBizTagError);
    expect(() => store.releaseNext()).toThrow(
      'releaseNext(): no reservation is held: call store.hold() before the reservation starts',
    );
    await expect(store.whenHeld()).rejects.toThrow(/call hold\(\) first/);
    store.hold();
    expect(() => store.failNext()).toThrow('failNext(): no reservation is held; await store.whenHeld() first');
  });

  it('moves the row when a held reservation is released, and resume() releases the rest in order', async () => {
    const store = new InMemoryLeafStore({ t: { step: 5 } });
    store.hold();
    const first = store.reserve('t', 5);
    const second = store.reserve('t', 3);
    await store.whenHeld(2);
    expect(store.rows.get('t')?.maxId).toBe(1n);
    store.resume();
    await expect(first).resolves.toEqual({ start: 1n, end: 6n });
    await expect(second).resolves.toEqual({ start: 6n, end: 9n });
    await expect(store.reserve('t', 1)).resolves.toEqual({ start: 9n, end: 10n }); // no longer held
    expect(store.reserveCalls).toBe(3);
  });

  it('honours abort: a held reservation whose signal fires rejects and leaves the queue, the row unmoved', async () => {
    const store = new InMemoryLeafStore({ t: { step: 5 } });
    store.hold();
    const controller = new AbortController();
    const aborted = store.reserve('t', 5, controller.signal);
    const kept = store.reserve('t', 3);
    await store.whenHeld(2);
    controller.abort(new Error('deadline'));
    await expect(aborted).rejects.toThrow('deadline');
    expect(store.held).toEqual([{ bizTag: 't', step: 3 }]);
    store.releaseNext();
    await expect(kept).resolves.toEqual({ start: 1n, end: 4n });
    await expect(store.setStep('t', 9, AbortSignal.abort())).rejects.toThrow();
    expect(store.rows.get('t')).toEqual({ maxId: 4n, step: 5, description: null });
  });

  it('lets a held reservation land after its signal fired, with hold({ ignoreAbort: true })', async () => {
    const store = new InMemoryLeafStore({ t: { step: 5 } });
    store.hold({ ignoreAbort: true });
    const controller = new AbortController();
    const late = store.reserve('t', 5, controller.signal);
    await store.whenHeld();
    controller.abort(new Error('deadline'));
    expect(store.held).toHaveLength(1); // the "database" still runs it
    store.releaseNext();
    await expect(late).resolves.toEqual({ start: 1n, end: 6n });
    expect(store.rows.get('t')?.maxId).toBe(6n);
  });
});
