import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { createNoopMeter, metrics, type Attributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { IdGenerator, LeafUnavailableError, type LeafModuleOptions, type LeafTagSnapshot } from 'nest-leaf';
import { LEAF_OTEL_OPTIONS, LeafOtelMetrics } from 'nest-leaf/otel';
import { InMemoryLeafStore, LeafTestingModule } from 'nest-leaf/testing';
import { resolveLeafOptions } from '../leaf.options.js';
import { LATENCY_BUCKETS } from '../metric-figures.js';
import { INSTRUMENT_NAMES } from './leaf-otel-instruments.js';

const cleanup: (() => unknown)[] = [];

/** An SDK pipeline of its own: a MeterProvider whose reader exports to memory when flushed (never on its timer). */
function sdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  cleanup.push(() => meterProvider.shutdown());
  /** One collection: the `nest-leaf` scope's metrics by name. */
  const collect = async (): Promise<Figures> => {
    exporter.reset();
    await reader.forceFlush();
    const scopes = exporter.getMetrics().flatMap((batch) => batch.scopeMetrics);
    expect(scopes.map((scope) => scope.scope.name)).toEqual(['nest-leaf']);
    return new Figures(scopes[0].metrics);
  };
  return { meterProvider, collect };
}

/** What one collection exported, read by instrument name and exact attribute set. */
class Figures {
  readonly byName: Map<string, MetricData>;
  constructor(data: MetricData[]) {
    this.byName = new Map(data.map((metric) => [metric.descriptor.name, metric]));
  }

  metric(name: string): MetricData {
    const metric = this.byName.get(name);
    if (metric === undefined) throw new Error(`no ${name} in [${[...this.byName.keys()].join(', ')}]`);
    return metric;
  }

  /** The value of `name` at exactly `attributes`; undefined when no such point was exported. */
  value(name: string, attributes: Attributes): unknown {
    const key = keyOf(attributes);
    return this.metric(name).dataPoints.find((point) => keyOf(point.attributes) === key)?.value;
  }

  /** The number of reservations a histogram point counted, undefined when there is no such point. */
  count(name: string, attributes: Attributes): number | undefined {
    return (this.value(name, attributes) as { count: number } | undefined)?.count;
  }
}

const keyOf = (attributes: Attributes) => JSON.stringify(Object.entries(attributes).sort());
const order = { 'leaf.biz_tag': 'order' };
const user = { 'leaf.biz_tag': 'user' };
const trigger = (tags: Attributes, name: string) => ({ ...tags, 'leaf.reservation.trigger': name });
const status = (tags: Attributes, name: string) => ({ ...tags, 'leaf.health.status': name });
const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/** A real generator over the in-memory store, its metrics on their own MeterProvider, not yet started. */
function setup(options: Partial<LeafModuleOptions> = {}) {
  const store = new InMemoryLeafStore();
  const ids = new IdGenerator(
    resolveLeafOptions({ bizTags: ['order', 'user'], step: 10, dynamicStep: false, ...options }),
    store,
  );
  const { meterProvider, collect } = sdk();
  const leafMetrics = new LeafOtelMetrics(ids, { meterProvider });
  cleanup.push(
    () => ids.close(),
    () => leafMetrics.close(),
  );
  return { ids, store, meterProvider, collect, leafMetrics };
}

describe('LeafOtelMetrics', () => {
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
    metrics.disable();
  });

  it('exports every figure per tag, with its kind and unit, read from one snapshot per collection', async () => {
    const { ids, collect } = setup();
    await ids.start();
    await ids.nextIds('order', 3);
    const inspect = jest.spyOn(ids, 'inspect');
    let figures = await collect();
    expect(inspect).toHaveBeenCalledTimes(1);
    const seen = inspect.mock.results[0].value as LeafTagSnapshot[];
    const runway = seen.find((s) => s.tag === 'order')!.runwayMs;

    expect([...figures.byName.keys()].sort()).toEqual([...INSTRUMENT_NAMES].sort());
    const expected: [name: string, attributes: Attributes, value: number][] = [
      ['leaf.generator.running', {}, 1],
      ['leaf.id.issued', order, 3],
      ['leaf.id.issued', user, 0],
      ['leaf.reservation.errors', order, 0],
      ['leaf.call.waited', order, 0],
      ['leaf.call.failed', order, 0],
      ['leaf.segment.reserved', trigger(order, 'startup'), 1],
      ['leaf.segment.reserved', trigger(order, 'prefetch'), 0],
      ['leaf.segment.reserved', trigger(order, 'on-demand'), 0],
      ['leaf.segment.step', order, 10],
      ['leaf.id.available', order, 7],
      ['leaf.id.available', user, 10],
      ['leaf.segment.next_ready', order, 0],
      ['leaf.call.waiting', order, 0],
      ['leaf.id.runway', order, runway === null ? Infinity : runway / 1000],
      ['leaf.tag.health', status(order, 'up'), 1],
      ['leaf.tag.health', status(order, 'degraded'), 0],
      ['leaf.tag.health', status(order, 'down'), 0],
    ];
    for (const [name, attributes, value] of expected) {
      expect([name, attributes, figures.value(name, attributes)]).toEqual([name, attributes, value]);
    }

    const kinds = Object.fromEntries(
      [...figures.byName].map(([name, m]) => [
        name,
        `${DataPointType[m.dataPointType]}${m.dataPointType === DataPointType.SUM ? (m.isMonotonic ? ' monotonic' : ' up-down') : ''} ${m.descriptor.unit}`,
      ]),
    );
    expect(kinds).toEqual({
      'leaf.generator.running': 'GAUGE 1',
      'leaf.id.issued': 'SUM monotonic {id}',
      'leaf.reservation.errors': 'SUM monotonic {error}',
      'leaf.call.waited': 'SUM monotonic {call}',
      'leaf.call.failed': 'SUM monotonic {call}',
      'leaf.segment.reserved': 'SUM monotonic {segment}',
      'leaf.segment.step': 'GAUGE {id}',
      'leaf.id.available': 'SUM up-down {id}',
      'leaf.segment.next_ready': 'GAUGE 1',
      'leaf.call.waiting': 'SUM up-down {call}',
      'leaf.id.runway': 'GAUGE s',
      'leaf.tag.health': 'GAUGE 1',
      'leaf.reservation.duration': 'HISTOGRAM s',
    });
    for (const metric of figures.byName.values()) expect(metric.descriptor.description).not.toBe('');

    const startup = figures.value('leaf.reservation.duration', trigger(order, 'startup')) as {
      count: number;
      buckets: { boundaries: number[] };
    };
    expect(startup.count).toBe(1);
    expect(startup.buckets.boundaries).toEqual(LATENCY_BUCKETS);

    await ids.nextIds('order', 2);
    figures = await collect();
    expect(figures.value('leaf.id.issued', order)).toBe(5); // read again, not cached
    expect(figures.value('leaf.id.available', order)).toBe(5);
    expect(inspect).toHaveBeenCalledTimes(2);
  });

  it('shows a wait, a failed call and a failed reservation (with its error.type) as they happen', async () => {
    const { ids, store, collect } = setup({ retryMinDelayMs: 10, checkIntervalMs: 10, waitTimeoutMs: 100 });
    await ids.start();
    store.hold();
    await ids.nextIds('order', 10); // the whole first segment; the prefetch past the threshold is held
    await store.whenHeld();
    const late = ids.nextId('order'); // nothing in memory: this call waits
    await tick();
    let figures = await collect();
    expect(figures.value('leaf.call.waiting', order)).toBe(1);
    expect(figures.value('leaf.call.waited', order)).toBe(1);
    expect(figures.value('leaf.id.available', order)).toBe(0);
    expect(figures.value('leaf.tag.health', status(order, 'down'))).toBe(1);
    expect(figures.value('leaf.tag.health', status(user, 'up'))).toBe(1);

    class ConnectionLost extends Error {
      override name = 'ConnectionLost';
    }
    store.failNext(new ConnectionLost('connection lost'));
    await store.whenHeld(); // the retry, held too
    await expect(late).rejects.toThrow(LeafUnavailableError); // at waitTimeoutMs
    store.resume();
    await tick(20);
    figures = await collect();
    expect(figures.value('leaf.call.waiting', order)).toBe(0);
    expect(figures.value('leaf.call.failed', order)).toBe(1);
    expect(figures.value('leaf.reservation.errors', order)).toBe(1);
    expect(figures.value('leaf.reservation.errors', user)).toBe(0);
    const points = figures.metric('leaf.reservation.duration').dataPoints;
    const failed = points.filter((point) => point.attributes['error.type'] !== undefined);
    expect(failed.map((point) => [point.attributes['leaf.biz_tag'], point.attributes['error.type']])).toEqual([
      ['order', 'ConnectionLost'],
    ]);
    expect((failed[0].value as { count: number }).count).toBe(1);
    for (const name of ['startup', 'prefetch', 'on-demand']) {
      // Every successful reservation is in the histogram and in leaf.segment.reserved alike.
      expect(figures.count('leaf.reservation.duration', trigger(order, name)) ?? 0).toBe(
        figures.value('leaf.segment.reserved', trigger(order, name)),
      );
    }
    expect(figures.value('leaf.segment.reserved', trigger(order, 'startup'))).toBe(1);
  });

  it('takes its buckets from latencyBuckets, and refuses a meter it cannot use before anything is created', async () => {
    const store = new InMemoryLeafStore();
    const ids = new IdGenerator(resolveLeafOptions({ bizTags: ['order'], step: 10 }), store);
    cleanup.push(() => ids.close());
    const { meterProvider, collect } = sdk();
    const own = new LeafOtelMetrics(ids, { meterProvider, latencyBuckets: [0.1, 1] });
    cleanup.push(() => own.close());
    await ids.start();
    const point = (await collect()).value('leaf.reservation.duration', trigger(order, 'startup'));
    expect((point as { buckets: { boundaries: number[] } }).buckets.boundaries).toEqual([0.1, 1]);

    expect(() => new LeafOtelMetrics(ids, { meterProvider, latencyBuckets: [1, 0.5] })).toThrow(RangeError);
    const meter = meterProvider.getMeter('app');
    expect(() => new LeafOtelMetrics(ids, { meter, meterProvider })).toThrow(/give meter or meterProvider, not both/);
    expect(() => new LeafOtelMetrics(ids, { meter: {} as never })).toThrow(/meter must be an OpenTelemetry Meter/);
    expect(() => new LeafOtelMetrics(ids, { meterProvider: 'global' as never })).toThrow(
      /meterProvider must be an OpenTelemetry MeterProvider .*got "global"/,
    );
  });

  it('close() stops reading and recording; a new one on the same provider reports again', async () => {
    const { ids, meterProvider, collect, leafMetrics } = setup();
    await ids.start();
    expect((await collect()).value('leaf.id.issued', order)).toBe(0);
    leafMetrics.close();
    leafMetrics.close(); // idempotent
    const inspect = jest.spyOn(ids, 'inspect');
    await ids.nextIds('order', 10); // a prefetch after close(): no histogram hears it
    await tick(20);
    let figures = await collect();
    expect(inspect).not.toHaveBeenCalled();
    // The SDK may repeat a cumulative series' last value; it never sees a new one.
    expect(figures.value('leaf.id.issued', order)).toBe(0);
    expect(figures.count('leaf.reservation.duration', trigger(order, 'prefetch'))).toBeUndefined();

    const again = new LeafOtelMetrics(ids, { meterProvider });
    cleanup.push(() => again.close());
    figures = await collect();
    expect(figures.value('leaf.id.issued', order)).toBe(10);
    expect(figures.value('leaf.segment.reserved', trigger(order, 'prefetch'))).toBe(1);
  });

  it('costs nothing without an SDK: the global no-op meter never asks for a snapshot', async () => {
    const store = new InMemoryLeafStore();
    const ids = new IdGenerator(resolveLeafOptions({ bizTags: ['order'], step: 10 }), store);
    cleanup.push(() => ids.close());
    const inspect = jest.spyOn(ids, 'inspect');
    const leafMetrics = new LeafOtelMetrics(ids); // metrics.disable() left the API without a provider
    cleanup.push(() => leafMetrics.close());
    await ids.start();
    expect(await ids.nextIds('order', 25)).toHaveLength(25);
    await tick(20);
    expect(inspect).not.toHaveBeenCalled();
    expect(leafMetrics.meter).toBe(createNoopMeter());
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

    it('reports on the global MeterProvider the SDK registered, from the startup reservation on', async () => {
      const { meterProvider, collect } = sdk();
      metrics.setGlobalMeterProvider(meterProvider);
      const moduleRef = await app([LeafOtelMetrics]);
      const ids = moduleRef.get(IdGenerator);
      await ids.nextId('order');
      const figures = await collect();
      expect(figures.value('leaf.id.issued', order)).toBe(1);
      expect(figures.count('leaf.reservation.duration', trigger(order, 'startup'))).toBe(1);
      await moduleRef.close();
      apps.splice(0);
      const inspect = jest.spyOn(ids, 'inspect');
      await collect();
      expect(inspect).not.toHaveBeenCalled(); // closed with the app
    });

    it('takes its MeterProvider from LEAF_OTEL_OPTIONS', async () => {
      const { meterProvider, collect } = sdk();
      const moduleRef = await app([{ provide: LEAF_OTEL_OPTIONS, useValue: { meterProvider } }, LeafOtelMetrics]);
      await moduleRef.get(IdGenerator).nextIds('order', 2);
      expect((await collect()).value('leaf.id.issued', order)).toBe(2);
      expect(moduleRef.get(LeafOtelMetrics).meter).toBe(meterProvider.getMeter('nest-leaf'));
    });
  });
});
