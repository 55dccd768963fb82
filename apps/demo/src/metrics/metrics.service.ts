import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { IdGenerator, type LeafTagSnapshot, type ReservationEvent, type ReservationTrigger } from 'nest-leaf';

const TRIGGERS: readonly ReservationTrigger[] = ['startup', 'prefetch', 'on-demand'];

/** Reservation latency buckets, in seconds: sub-millisecond on a local database up to the 5 s reservation timeout. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The demo's Prometheus registry: Node's default metrics plus `leaf_*` metrics. Counters and gauges are read
 * from `IdGenerator.inspect()` at scrape time; the latency histogram is fed by `onReservation`.
 */
@Injectable()
export class MetricsService implements OnModuleDestroy {
  readonly registry = new Registry();
  private readonly unsubscribe: () => void;
  private readonly latency: Histogram<'tag' | 'trigger' | 'result'>;

  constructor(@Inject(IdGenerator) private readonly ids: IdGenerator) {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    const generator = this.ids;
    const snapshots = () => generator.inspect();

    new Gauge({
      name: 'leaf_generator_running',
      help: '1 while the ID generator serves IDs, 0 while it starts or shuts down.',
      registers,
      collect() {
        this.set(generator.isRunning ? 1 : 0);
      },
    });
    perTagCounter('leaf_ids_issued_total', 'IDs handed out, per biz tag.', registers, snapshots, (s) => s.idsIssued);
    perTagCounter('leaf_reservation_errors_total', 'Failed segment reservations, per biz tag.', registers, snapshots, (s) => s.errors);
    perTagCounter(
      'leaf_waits_total',
      'Calls that found no ID in memory and had to wait for a reservation, per biz tag.',
      registers,
      snapshots,
      (s) => s.waits,
    );
    new Counter({
      name: 'leaf_reservations_total',
      help: 'Successful segment reservations, per biz tag and trigger (startup, prefetch, on-demand).',
      labelNames: ['tag', 'trigger'] as const,
      registers,
      collect() {
        this.reset();
        for (const s of snapshots()) {
          for (const trigger of TRIGGERS) this.inc({ tag: s.tag, trigger }, s.reservationsByTrigger[trigger]);
        }
      },
    });
    perTagGauge('leaf_step', 'Size of the segment IDs are served from, per biz tag (Leaf\'s dynamic step grows it under load).', registers, snapshots, (s) => s.step);
    perTagGauge(
      'leaf_ids_remaining',
      'IDs left in memory (current and next segment), per biz tag.',
      registers,
      snapshots,
      // A count of IDs, at most two segments (2 x maxStep): exact as a double.
      (s) => Number(s.available),
    );
    perTagGauge('leaf_next_segment_ready', '1 when the next segment is reserved, per biz tag.', registers, snapshots, (s) =>
      s.nextReady ? 1 : 0,
    );
    perTagGauge('leaf_waiting_callers', 'Calls waiting for a reservation right now, per biz tag.', registers, snapshots, (s) => s.waiting);

    this.latency = new Histogram({
      name: 'leaf_reservation_duration_seconds',
      help: 'Duration of segment reservations (one database round trip), per biz tag, trigger and result.',
      labelNames: ['tag', 'trigger', 'result'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    // Subscribed in the constructor, before IdGenerator's onModuleInit, so the startup reservations are measured too.
    this.unsubscribe = this.ids.onReservation((event) => this.observe(event));
  }

  /** The Prometheus text exposition of every metric. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  private observe(event: ReservationEvent): void {
    this.latency.observe(
      { tag: event.tag, trigger: event.trigger, result: event.ok ? 'ok' : 'error' },
      event.latencyMs / 1000,
    );
  }
}

type Read = (snapshot: LeafTagSnapshot) => number;

/** A counter mirroring a cumulative per-tag figure of the snapshots. */
function perTagCounter(name: string, help: string, registers: Registry[], snapshots: () => LeafTagSnapshot[], read: Read) {
  return new Counter({
    name,
    help,
    labelNames: ['tag'] as const,
    registers,
    collect() {
      this.reset();
      for (const s of snapshots()) this.inc({ tag: s.tag }, read(s));
    },
  });
}

function perTagGauge(name: string, help: string, registers: Registry[], snapshots: () => LeafTagSnapshot[], read: Read) {
  return new Gauge({
    name,
    help,
    labelNames: ['tag'] as const,
    registers,
    collect() {
      this.reset();
      for (const s of snapshots()) this.set({ tag: s.tag }, read(s));
    },
  });
}
