import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge, Histogram, register, type Registry } from 'prom-client';
import { IdGenerator } from '../id-generator.js';
import type { LeafTagSnapshot, ReservationEvent } from '../segment/segment.types.js';
import { checkLatencyBuckets, DESCRIPTIONS, LATENCY_BUCKETS, STATUSES, TRIGGERS } from '../metric-figures.js';
import {
  COUNTERS,
  DURATION,
  GAUGES,
  HEALTH,
  METRIC_NAMES,
  RESERVATIONS,
  RUNNING,
  tagLabels,
  type TagLabels,
} from './leaf-metric-figures.js';

/** Options of `LeafMetrics`, given by hand or through the `LEAF_METRICS_OPTIONS` provider. */
export interface LeafMetricsOptions {
  /** prom-client Registry to register on. Default: prom-client's global `register` (what @willsoto/nestjs-prometheus serves). */
  registry?: Registry;
  /**
   * Buckets of leaf_reservation_duration_seconds, in seconds. Default: 0.5 ms to 5 s (the default
   * `reservationTimeoutMs`), which spans a local database up to one too slow to use.
   */
  latencyBuckets?: number[];
}

/** Injection token of `LeafMetricsOptions`; without a provider for it, `LeafMetrics` uses the defaults. */
export const LEAF_METRICS_OPTIONS = Symbol('LEAF_METRICS_OPTIONS');

/**
 * Prometheus metrics of an `IdGenerator`, all named `leaf_*`: per-tag counters and gauges read from
 * `IdGenerator.inspect()` at scrape time (among them `leaf_tag_health{tag,status}`, 1 for the status the tag's
 * snapshot judges and `/health` answers), and the histogram `leaf_reservation_duration_seconds` fed by
 * `onReservation`.
 *
 * ```ts
 * @Module({ imports: [LeafModule.forRoot(...)], providers: [LeafMetrics] }) // the global registry
 * providers: [{ provide: LEAF_METRICS_OPTIONS, useValue: { registry } }, LeafMetrics] // your own registry
 * const metrics = new LeafMetrics(ids, { registry }); // by hand; call metrics.close() when done
 * ```
 * A registry holds one set of `leaf_*` metrics: a second `LeafMetrics` on it throws until the first is closed
 * (a Nest app closes its own on `app.close()`). Serving the registry is the host's job.
 */
@Injectable()
export class LeafMetrics implements OnModuleDestroy {
  /** Where the metrics are registered: serve `registry.metrics()` to Prometheus. */
  readonly registry: Registry;
  private readonly metrics = new Map<string, unknown>();
  private readonly unsubscribe: () => void;
  private readonly labels = new Map<string, TagLabels>();
  /** The snapshots of the scrape under way: every collector of one scrape reads one `inspect()`. */
  private scrape: LeafTagSnapshot[] | null = null;
  private readonly endScrape = () => (this.scrape = null);
  private closed = false;

  /**
   * Registers the metrics and subscribes to `onReservation` at once, so that when Nest builds this provider
   * before `IdGenerator.onModuleInit` the startup reservations are measured too.
   *
   * @throws Error when `leaf_*` metrics are already registered on the registry, naming the ways out
   * @throws RangeError when `latencyBuckets` is not an increasing list of positive numbers (prom-client would
   *   accept it and count wrong)
   */
  constructor(
    @Inject(IdGenerator) private readonly ids: IdGenerator,
    @Optional() @Inject(LEAF_METRICS_OPTIONS) options: LeafMetricsOptions = {},
  ) {
    const buckets = checkLatencyBuckets('LeafMetrics', options.latencyBuckets ?? LATENCY_BUCKETS);
    this.registry = options.registry ?? register;
    this.assertFree();
    const registers = [this.registry];
    const snapshots = () => this.snapshots();
    const labelsOf = (tag: string) => this.labelsOf(tag);

    new Gauge({
      name: RUNNING,
      help: DESCRIPTIONS.running,
      registers,
      collect() {
        this.set(ids.isRunning ? 1 : 0);
      },
    });
    for (const [name, help, read] of COUNTERS) {
      new Counter({
        name,
        help,
        labelNames: ['tag'] as const,
        registers,
        collect() {
          this.reset();
          for (const s of snapshots()) this.inc(labelsOf(s.tag).tag, read(s));
        },
      });
    }
    new Counter({
      name: RESERVATIONS,
      help: DESCRIPTIONS.reservations,
      labelNames: ['tag', 'trigger'] as const,
      registers,
      collect() {
        this.reset();
        for (const s of snapshots()) {
          const { byTrigger } = labelsOf(s.tag);
          for (let i = 0; i < TRIGGERS.length; i++) this.inc(byTrigger[i], s.reservationsByTrigger[TRIGGERS[i]]);
        }
      },
    });
    for (const [name, help, read] of GAUGES) {
      new Gauge({
        name,
        help,
        labelNames: ['tag'] as const,
        registers,
        collect() {
          this.reset();
          for (const s of snapshots()) this.set(labelsOf(s.tag).tag, read(s));
        },
      });
    }
    new Gauge({
      name: HEALTH,
      help: DESCRIPTIONS.health,
      labelNames: ['tag', 'status'] as const,
      registers,
      collect() {
        this.reset();
        for (const s of snapshots()) {
          const { byStatus } = labelsOf(s.tag);
          for (let i = 0; i < STATUSES.length; i++) this.set(byStatus[i], s.health.status === STATUSES[i] ? 1 : 0);
        }
      },
    });
    const latency = new Histogram({
      name: DURATION,
      help: DESCRIPTIONS.reservationDuration,
      labelNames: ['tag', 'trigger', 'result'] as const,
      buckets,
      registers,
    });
    // Kept to remove exactly these on close(); assertFree() made sure every name was free.
    for (const name of METRIC_NAMES) this.metrics.set(name, this.registry.getSingleMetric(name)!);
    this.unsubscribe = ids.onReservation((event: ReservationEvent) =>
      latency.observe(
        { tag: event.tag, trigger: event.trigger, result: event.ok ? 'ok' : 'error' },
        event.latencyMs / 1000,
      ),
    );
  }

  /**
   * Unsubscribes from the generator and removes every leaf_* metric from the registry (also on module destroy),
   * so the registry can take a new `LeafMetrics` (the next test's app, say). Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const [name, metric] of this.metrics) {
      // Only our own: after a clear() the name may belong to someone else by now.
      if (this.registry.getSingleMetric(name) === metric) this.registry.removeSingleMetric(name);
    }
  }

  /** Nest lifecycle: the app is closing. */
  onModuleDestroy(): void {
    this.close();
  }

  /** prom-client's own message names neither the cause nor the fix. */
  private assertFree(): void {
    const taken = METRIC_NAMES.filter((name) => this.registry.getSingleMetric(name) !== undefined);
    if (taken.length === 0) return;
    throw new Error(
      `LeafMetrics: ${taken.join(', ')} ${taken.length === 1 ? 'is' : 'are'} already registered on this prom-client ` +
        'registry, most likely by another LeafMetrics still open (a second app in this process, or a test that did ' +
        'not close its app). Close the earlier one first (app.close() or leafMetrics.close()), or give each its own ' +
        'registry: { provide: LEAF_METRICS_OPTIONS, useValue: { registry: new Registry() } }.',
    );
  }

  private snapshots(): LeafTagSnapshot[] {
    if (this.scrape === null) {
      this.scrape = this.ids.inspect();
      // A scrape runs every collector in one synchronous pass; the next one must see fresh figures.
      queueMicrotask(this.endScrape);
    }
    return this.scrape;
  }

  private labelsOf(tag: string): TagLabels {
    let labels = this.labels.get(tag);
    if (labels === undefined) {
      labels = tagLabels(tag);
      this.labels.set(tag, labels);
    }
    return labels;
  }
}
