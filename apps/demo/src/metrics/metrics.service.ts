import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { IdGenerator } from 'nest-leaf';
import { LeafMetrics } from 'nest-leaf/prometheus';

/**
 * The demo's Prometheus registry: Node's default metrics plus the library's `leaf_*` metrics. A registry of its
 * own rather than prom-client's global one, so two demo apps in one process (the e2e tests) do not collide.
 */
@Injectable()
export class MetricsService implements OnModuleDestroy {
  readonly registry = new Registry();
  private readonly leaf: LeafMetrics;

  constructor(@Inject(IdGenerator) ids: IdGenerator) {
    collectDefaultMetrics({ register: this.registry });
    // Built here, before IdGenerator's onModuleInit, so the startup reservations are measured too.
    this.leaf = new LeafMetrics(ids, { registry: this.registry });
  }

  /** The Prometheus text exposition of every metric. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  onModuleDestroy(): void {
    this.leaf.close();
  }
}
