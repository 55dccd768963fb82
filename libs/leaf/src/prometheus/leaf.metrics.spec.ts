import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { IdGenerator, type LeafModuleOptions } from 'nest-leaf';
import { resolveLeafOptions } from '../leaf.options.js';
import { LEAF_METRICS_OPTIONS, LeafMetrics } from 'nest-leaf/prometheus';
import { InMemoryLeafStore, LeafTestingModule } from 'nest-leaf/testing';
import { Gauge, Registry, register } from 'prom-client';

const cleanup: (() => unknown)[] = [];

/** A real generator over the in-memory store, its metrics on their own registry, not yet started. */
function setup(options: Partial<LeafModuleOptions> = {}, store = new InMemoryLeafStore()) {
  const ids = new IdGenerator(
    resolveLeafOptions({ bizTags: ['order', 'user'], step: 10, dynamicStep: false, ...options }),
    store,
  );
  const registry = new Registry();
  const metrics = new LeafMetrics(ids, { registry });
  cleanup.push(
    () => ids.close(),
    () => metrics.close(),
  );
  return { ids, store, registry, metrics };
}

const leafNames = async (registry: Registry) =>
  (await registry.getMetricsAsJSON()).map((m) => m.name).filter((name) => name.startsWith('leaf_'));

describe('LeafMetrics', () => {
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('exposes per-tag counters and gauges read from the generator at scrape time', async () => {
    const { ids, registry } = setup();
    await ids.start();
    await ids.nextIds('order', 3);
    const text = await registry.metrics();
    for (const line of [
      'leaf_generator_running 1',
      'leaf_ids_issued_total{tag="order"} 3',
      'leaf_ids_issued_total{tag="user"} 0',
      'leaf_reservation_errors_total{tag="order"} 0',
      'leaf_waits_total{tag="order"} 0',
      'leaf_reservations_total{tag="order",trigger="startup"} 1',
      'leaf_reservations_total{tag="order",trigger="prefetch"} 0',
      'leaf_reservations_total{tag="order",trigger="on-demand"} 0',
      'leaf_step{tag="order"} 10',
      'leaf_ids_remaining{tag="order"} 7',
      'leaf_next_segment_ready{tag="order"} 0',
      'leaf_waiting_callers{tag="order"} 0',
      '# TYPE leaf_ids_issued_total counter',
      '# TYPE leaf_step gauge',
      '# TYPE leaf_reservation_duration_seconds histogram',
    ]) {
      expect(text).toContain(line);
    }
    await ids.nextIds('order', 2);
    expect(await registry.metrics()).toContain('leaf_ids_issued_total{tag="order"} 5'); // not cached across scrapes
    expect(await leafNames(register)).toEqual([]); // its own registry only
  });

  it("exports each tag's health as the snapshot judges it: 1 for its status, 0 for the others", async () => {
    const { ids, store, registry } = setup({ retryMinDelayMs: 10, checkIntervalMs: 10 });
    await ids.start();
    const health = (status: string) => `leaf_tag_health{tag="order",status="${status}"}`;
    let text = await registry.metrics();
    expect(text).toContain('# TYPE leaf_tag_health gauge');
    expect(text).toContain(`${health('up')} 1`);
    expect(text).toContain(`${health('degraded')} 0`);
    expect(text).toContain(`${health('down')} 0`);
    expect(text).toContain('leaf_tag_health{tag="user",status="up"} 1');
    // Past the threshold while the store refuses: serving its last IDs, no rate known, so short of its runway.
    store.hold();
    await ids.nextIds('order', 9);
    await store.whenHeld();
    store.failNext(new Error('connection lost'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const order = () => ids.inspect().find((s) => s.tag === 'order')!;
    expect(order().health.status).toBe('degraded');
    text = await registry.metrics();
    expect(text).toContain(`${health('up')} 0`);
    expect(text).toContain(`${health('degraded')} 1`);
    store.resume();
  });

  it('reads the generator once per scrape, however many collectors there are', async () => {
    const { ids, registry } = setup();
    await ids.start();
    const inspect = jest.spyOn(ids, 'inspect');
    await registry.metrics();
    expect(inspect).toHaveBeenCalledTimes(1);
    await registry.getMetricsAsJSON();
    expect(inspect).toHaveBeenCalledTimes(2);
  });

  it('times every reservation from startup on, by trigger and result, in the buckets asked for', async () => {
    const { ids, store, registry } = setup({ retryMinDelayMs: 10, checkIntervalMs: 10 });
    const custom = new Registry();
    cleanup.push(() => custom.clear());
    await ids.start();
    await ids.nextIds('order', 9); // past the threshold: the next segment is reserved in the background
    await new Promise((resolve) => setTimeout(resolve, 20));
    store.hold();
    await ids.nextIds('order', 10); // into the standby segment: another prefetch, held
    await store.whenHeld();
    store.failNext(new Error('connection lost'));
    await store.whenHeld(); // the retry
    store.resume();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const text = await registry.metrics();
    expect(text).toContain('leaf_reservation_duration_seconds_count{tag="order",trigger="startup",result="ok"} 1');
    expect(text).toContain('leaf_reservation_duration_seconds_count{tag="user",trigger="startup",result="ok"} 1');
    expect(text).toContain('leaf_reservation_duration_seconds_count{tag="order",trigger="prefetch",result="ok"} 2');
    expect(text).toContain('leaf_reservation_duration_seconds_count{tag="order",trigger="prefetch",result="error"} 1');
    expect(text).toContain('leaf_reservation_errors_total{tag="order"} 1');
    expect(text).toContain(
      'leaf_reservation_duration_seconds_bucket{le="0.0005",tag="order",trigger="startup",result="ok"}',
    );

    const own = new LeafMetrics(ids, { registry: custom, latencyBuckets: [0.1, 1] });
    cleanup.push(() => own.close());
    await ids.nextIds('order', 10);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const buckets = (await custom.metrics()).match(/^leaf_reservation_duration_seconds_bucket\{le="[^"]+"/gm);
    expect(new Set(buckets)).toEqual(
      new Set(['0.1', '1', '+Inf'].map((le) => `leaf_reservation_duration_seconds_bucket{le="${le}"`)),
    );
    expect(() => new LeafMetrics(ids, { registry: new Registry(), latencyBuckets: [1, 0.5] })).toThrow(RangeError);
  });

  it('close() unsubscribes and removes every leaf_* metric, leaving the rest of the registry alone', async () => {
    const { ids, registry, metrics } = setup();
    new Gauge({ name: 'app_up', help: 'The host app’s own metric.', registers: [registry] });
    expect(await leafNames(registry)).toHaveLength(13); // 12, and leaf_tag_health
    metrics.close();
    metrics.close(); // idempotent
    expect(await leafNames(registry)).toEqual([]);
    expect(registry.getSingleMetric('app_up')).toBeDefined();
    await ids.start(); // reservations after close() reach no histogram and break nothing
    expect(await ids.nextId('order')).toBe(1n);
    const again = new LeafMetrics(ids, { registry }); // the names are free again
    cleanup.push(() => again.close());
    expect(await registry.metrics()).toContain('leaf_ids_issued_total{tag="order"} 1');
  });

  it('refuses a second set of leaf_* metrics on one registry with an error naming the fixes', async () => {
    const { ids, registry } = setup();
    const second = () => new LeafMetrics(ids, { registry });
    expect(second).toThrow(
      /leaf_generator_running, leaf_ids_issued_total, .* already registered on this prom-client registry/,
    );
    expect(second).toThrow(/close\(\) .*LEAF_METRICS_OPTIONS/);
    await ids.start();
    expect(await registry.metrics()).toContain('leaf_generator_running 1'); // the first one is intact
  });

  describe('in a Nest module', () => {
    const apps: TestingModule[] = [];
    afterEach(async () => {
      await Promise.all(apps.splice(0).map((app) => app.close()));
    });

    async function app(providers: Provider[]): Promise<TestingModule> {
      const moduleRef = await Test.createTestingModule({
        imports: [LeafTestingModule.forRoot({ bizTags: ['order'] })],
        providers,
      }).compile();
      apps.push(moduleRef);
      return moduleRef.init();
    }

    it('registers on the global registry by default and unregisters when the app closes', async () => {
      const moduleRef = await app([LeafMetrics]);
      expect(moduleRef.get(LeafMetrics).registry).toBe(register);
      await moduleRef.get(IdGenerator).nextId('order');
      expect(await register.metrics()).toContain('leaf_reservations_total{tag="order",trigger="startup"} 1');
      await moduleRef.close();
      apps.splice(0);
      expect(await leafNames(register)).toEqual([]);
    });

    it('fails a second app on the global registry with the clear error, until the first one closes', async () => {
      const first = await app([LeafMetrics]);
      await expect(app([LeafMetrics])).rejects.toThrow(/already registered on this prom-client registry/);
      await first.close();
      apps.splice(apps.indexOf(first), 1);
      await expect(app([LeafMetrics])).resolves.toBeDefined();
    });

    it('takes its registry from LEAF_METRICS_OPTIONS', async () => {
      const registry = new Registry();
      const moduleRef = await app([{ provide: LEAF_METRICS_OPTIONS, useValue: { registry } }, LeafMetrics]);
      expect(moduleRef.get(LeafMetrics).registry).toBe(registry);
      expect(await registry.metrics()).toContain(
        'leaf_reservation_duration_seconds_count{tag="order",trigger="startup",result="ok"} 1',
      );
      expect(await leafNames(register)).toEqual([]);
    });
  });
});
