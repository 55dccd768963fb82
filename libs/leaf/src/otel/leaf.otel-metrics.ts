import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import {
  metrics,
  type Attributes,
  type BatchObservableResult,
  type Meter,
  type MeterProvider,
  type Observable,
} from '@opentelemetry/api';
import { describeValue } from '../errors/describe-value.js';
import { IdGenerator } from '../id-generator.js';
import {
  checkLatencyBuckets,
  DESCRIPTIONS,
  LATENCY_BUCKETS,
  STATUSES,
  TAG_COUNTERS,
  TAG_GAUGES,
  TRIGGERS,
} from '../metric-figures.js';
import type { LeafTagSnapshot, ReservationEvent } from '../segment/segment.types.js';
import {
  ATTR_BIZ_TAG,
  ATTR_ERROR_TYPE,
  ATTR_HEALTH_STATUS,
  ATTR_TRIGGER,
  COUNTERS,
  CURRENT,
  DURATION,
  errorType,
  HEALTH,
  RESERVED,
  RUNNING,
  type InstrumentSpec,
} from './leaf-otel-instruments.js';

/** Options of `LeafOtelMetrics`, given by hand or through the `LEAF_OTEL_OPTIONS` provider. */
export interface LeafOtelOptions {
  /** The meter to create the instruments on. Default: the `nest-leaf` meter of `meterProvider`. */
  meter?: Meter;
  /**
   * Where to take the `nest-leaf` meter from when no `meter` is given. Default: the global provider
   * (`metrics.getMeterProvider()`) as it is when `LeafOtelMetrics` is built: register the SDK before the app is
   * created (as `NodeSDK.start()` in the first file the process loads does), or the instruments stay no-ops.
   */
  meterProvider?: MeterProvider;
  /**
   * Bucket boundaries of `leaf.reservation.duration`, in seconds (given to the SDK as advice; a View overrides them).
   * Default: 0.5 ms to 5 s, as `nest-leaf/prometheus`.
   */
  latencyBuckets?: number[];
}

/** Injection token of `LeafOtelOptions`; without a provider for it, `LeafOtelMetrics` uses the global provider. */
export const LEAF_OTEL_OPTIONS = Symbol('LEAF_OTEL_OPTIONS');

/** The instrumentation scope of the instruments: the meter's name. */
export const LEAF_OTEL_METER = 'nest-leaf';

/** The attribute sets of one tag, made once, so a collection allocates none. */
interface TagAttributes {
  readonly tag: Attributes;
  readonly byTrigger: readonly Attributes[];
  readonly byStatus: readonly Attributes[];
}

/**
 * OpenTelemetry metrics of an `IdGenerator`, the figures of `nest-leaf/prometheus` named after the semantic
 * conventions (`leaf.id.issued`, `leaf.reservation.duration`, … with the attribute `leaf.biz_tag`): observable
 * instruments read from one `IdGenerator.inspect()` per collection, and the histogram `leaf.reservation.duration`
 * recorded by an `onReservation` listener.
 *
 * ```ts
 * providers: [LeafOtelMetrics] // the global MeterProvider, registered by the SDK before the app is created
 * providers: [{ provide: LEAF_OTEL_OPTIONS, useValue: { meterProvider } }, LeafOtelMetrics] // your own provider
 * const metrics = new LeafOtelMetrics(ids, { meter }); // by hand; call metrics.close() when done
 * ```
 * Without an SDK the API hands out a no-op meter: nothing is read or recorded, and what is left per reservation is
 * one empty call. Exporting is the SDK's job (a metric reader: OTLP, Prometheus, …).
 */
@Injectable()
export class LeafOtelMetrics implements OnModuleDestroy {
  /** The meter the instruments were created on. */
  readonly meter: Meter;
  private readonly observables: Observable[] = [];
  private readonly observe: (result: BatchObservableResult) => void;
  private readonly unsubscribe: () => void;
  private readonly attributes = new Map<string, TagAttributes>();
  private closed = false;

  /**
   * Creates the instruments and subscribes to `onReservation` at once, so that when Nest builds this provider
   * before `IdGenerator.onModuleInit` the startup reservations are measured too.
   *
   * @throws TypeError when `meter` or `meterProvider` is not one, or both are given
   * @throws RangeError when `latencyBuckets` is not an increasing list of positive numbers
   */
  constructor(
    @Inject(IdGenerator) private readonly ids: IdGenerator,
    @Optional() @Inject(LEAF_OTEL_OPTIONS) options: LeafOtelOptions = {},
  ) {
    const buckets = checkLatencyBuckets('LeafOtelMetrics', options.latencyBuckets ?? LATENCY_BUCKETS);
    const meter = (this.meter = meterOf(options));
    const observable = (spec: InstrumentSpec, description: string, kind: 'counter' | 'gauge' | 'up-down') => {
      const options = { description, unit: spec.unit, valueType: spec.valueType };
      const instrument =
        kind === 'counter'
          ? meter.createObservableCounter(spec.name, options)
          : kind === 'up-down'
            ? meter.createObservableUpDownCounter(spec.name, options)
            : meter.createObservableGauge(spec.name, options);
      this.observables.push(instrument);
      return instrument;
    };

    const running = observable(RUNNING, DESCRIPTIONS.running, 'gauge');
    const perTag: (readonly [Observable, (s: LeafTagSnapshot) => number])[] = [];
    for (const key of Object.keys(COUNTERS) as (keyof typeof COUNTERS)[]) {
      perTag.push([observable(COUNTERS[key], TAG_COUNTERS[key].description, 'counter'), TAG_COUNTERS[key].read]);
    }
    const reserved = observable(RESERVED, DESCRIPTIONS.reservations, 'counter');
    for (const key of Object.keys(CURRENT) as (keyof typeof CURRENT)[]) {
      const kind = CURRENT[key].additive ? 'up-down' : 'gauge';
      perTag.push([observable(CURRENT[key], TAG_GAUGES[key].description, kind), TAG_GAUGES[key].read]);
    }
    const health = observable(HEALTH, DESCRIPTIONS.health, 'gauge');
    const duration = meter.createHistogram(DURATION.name, {
      description: DESCRIPTIONS.reservationDuration,
      unit: DURATION.unit,
      valueType: DURATION.valueType,
      advice: { explicitBucketBoundaries: buckets },
    });

    // One batch callback: every instrument of one collection reads the same snapshots, taken once.
    this.observe = (result) => {
      result.observe(running, ids.isRunning ? 1 : 0);
      for (const s of ids.inspect()) {
        const { tag, byTrigger, byStatus } = this.attributesOf(s.tag);
        for (const [instrument, read] of perTag) result.observe(instrument, read(s), tag);
        for (let i = 0; i < TRIGGERS.length; i++) {
          result.observe(reserved, s.reservationsByTrigger[TRIGGERS[i]], byTrigger[i]);
        }
        for (let i = 0; i < STATUSES.length; i++) {
          result.observe(health, s.health.status === STATUSES[i] ? 1 : 0, byStatus[i]);
        }
      }
    };
    meter.addBatchObservableCallback(this.observe, this.observables);
    this.unsubscribe = ids.onReservation((event: ReservationEvent) => {
      const attributes = this.attributesOf(event.tag).byTrigger[TRIGGERS.indexOf(event.trigger)];
      duration.record(
        event.latencyMs / 1000,
        event.ok ? attributes : { ...attributes, [ATTR_ERROR_TYPE]: errorType(event.error) },
      );
    });
  }

  /**
   * Unsubscribes from the generator and removes the collection callback (also on module destroy): nothing is read
   * or recorded any more (a cumulative SDK may repeat the last values), and another `LeafOtelMetrics` (the next
   * test's app, say) can report on the same meter. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.meter.removeBatchObservableCallback(this.observe, this.observables);
  }

  /** Nest lifecycle: the app is closing. */
  onModuleDestroy(): void {
    this.close();
  }

  private attributesOf(tag: string): TagAttributes {
    let attributes = this.attributes.get(tag);
    if (attributes === undefined) {
      attributes = {
        tag: { [ATTR_BIZ_TAG]: tag },
        byTrigger: TRIGGERS.map((trigger) => ({ [ATTR_BIZ_TAG]: tag, [ATTR_TRIGGER]: trigger })),
        byStatus: STATUSES.map((status) => ({ [ATTR_BIZ_TAG]: tag, [ATTR_HEALTH_STATUS]: status })),
      };
      this.attributes.set(tag, attributes);
    }
    return attributes;
  }
}

/** The meter the options name, checked: a wrong object would otherwise fail at the first collection, far away. */
function meterOf({ meter, meterProvider }: LeafOtelOptions): Meter {
  if (meter !== undefined && meterProvider !== undefined) {
    throw new TypeError('LeafOtelMetrics: give meter or meterProvider, not both (the meter already has its provider).');
  }
  if (meter !== undefined) {
    if (typeof (meter as Partial<Meter>)?.addBatchObservableCallback !== 'function') {
      throw new TypeError(
        'LeafOtelMetrics: meter must be an OpenTelemetry Meter (meterProvider.getMeter(name)), got ' +
          `${describeValue(meter)}.`,
      );
    }
    return meter;
  }
  const provider = meterProvider ?? metrics.getMeterProvider();
  if (typeof (provider as Partial<MeterProvider>)?.getMeter !== 'function') {
    throw new TypeError(
      'LeafOtelMetrics: meterProvider must be an OpenTelemetry MeterProvider (new MeterProvider({ readers }) of ' +
        `@opentelemetry/sdk-metrics), got ${describeValue(provider)}.`,
    );
  }
  return provider.getMeter(LEAF_OTEL_METER);
}
