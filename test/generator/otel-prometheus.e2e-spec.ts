import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { IdGenerator, LeafModule } from 'nest-leaf';
import { LeafOtelMetrics } from 'nest-leaf/otel';
import { freshDatabase, mysqlDataSourceOptions, type TestDatabase } from '../../harness/mariadb.js';
import { freePort } from '../support/ports.js';

/**
 * What an app on the OpenTelemetry SDK sees: the SDK registered globally before the app is created (as
 * `NodeSDK.start()` does), its PrometheusExporter serving /metrics, `LeafOtelMetrics` among the app's providers,
 * the generator on MariaDB. Every figure is read over HTTP and checked against the table.
 */

interface Sample {
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** The text format as a map from sample name to its samples. */
function parse(text: string): Map<string, Sample[]> {
  const samples = new Map<string, Sample[]>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (match === null) continue;
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    const value = match[3] === '+Inf' ? Infinity : Number(match[3]);
    samples.set(match[1], [...(samples.get(match[1]) ?? []), { labels, value }]);
  }
  return samples;
}

describe('nest-leaf/otel through the OpenTelemetry Prometheus exporter', () => {
  let database: TestDatabase;
  let provider: MeterProvider;
  let app: INestApplicationContext;
  let url: string;

  beforeAll(async () => {
    database = await freshDatabase('otel_prometheus');
    const port = await freePort();
    const exporter = new PrometheusExporter({ host: '127.0.0.1', port, preventServerStart: true });
    await exporter.startServer();
    url = `http://127.0.0.1:${port}/metrics`;
    provider = new MeterProvider({ readers: [exporter] });
    metrics.setGlobalMeterProvider(provider);

    @Module({
      imports: [
        TypeOrmModule.forRoot({ ...mysqlDataSourceOptions(database.name), autoLoadEntities: true, retryAttempts: 0 }),
        LeafModule.forRoot({ bizTags: ['order', 'user'], step: 100, dynamicStep: false }),
      ],
      providers: [LeafOtelMetrics],
    })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
  });

  afterAll(async () => {
    await app?.close();
    await provider?.shutdown(); // stops the exporter's server
    metrics.disable();
    await database?.close();
  });

  /** Scrapes once the generator is idle (no reservation under way), so the table and the figures agree. */
  async function scrape(): Promise<{ samples: Map<string, Sample[]>; text: string }> {
    const ids = app.get(IdGenerator);
    while (ids.inspect().some((s) => s.loading)) await new Promise((resolve) => setTimeout(resolve, 5));
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const text = await response.text();
    return { samples: parse(text), text };
  }

  const of = (samples: Map<string, Sample[]>, name: string, labels: Record<string, string>) =>
    (samples.get(name) ?? [])
      .filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
      .map((sample) => sample.value);

  it('serves every figure, per tag, with the values the table and the generator agree on', async () => {
    const ids = app.get(IdGenerator);
    const orders = await ids.nextIds('order', 150); // more than memory holds: the call waits for a reservation
    expect(orders).toHaveLength(150);
    await ids.nextIds('user', 3);
    const { samples, text } = await scrape();

    for (const family of [
      'leaf_generator_running gauge',
      'leaf_id_issued_total counter',
      'leaf_reservation_errors_total counter',
      'leaf_call_waited_total counter',
      'leaf_call_failed_total counter',
      'leaf_segment_reserved_total counter',
      'leaf_segment_step gauge',
      'leaf_id_available gauge',
      'leaf_segment_next_ready gauge',
      'leaf_call_waiting gauge',
      'leaf_id_runway gauge',
      'leaf_tag_health gauge',
      'leaf_reservation_duration histogram',
    ]) {
      expect(text).toContain(`# TYPE ${family}\n`);
    }
    const order = { leaf_biz_tag: 'order' };
    const user = { leaf_biz_tag: 'user' };
    expect(of(samples, 'leaf_generator_running', {})).toEqual([1]);
    expect(of(samples, 'leaf_id_issued_total', order)).toEqual([150]);
    expect(of(samples, 'leaf_id_issued_total', user)).toEqual([3]);
    expect(of(samples, 'leaf_call_waited_total', order)).toEqual([1]);
    expect(of(samples, 'leaf_call_waited_total', user)).toEqual([0]);
    expect(of(samples, 'leaf_reservation_errors_total', order)).toEqual([0]);
    expect(of(samples, 'leaf_call_failed_total', order)).toEqual([0]);
    expect(of(samples, 'leaf_call_waiting', order)).toEqual([0]);
    expect(of(samples, 'leaf_segment_step', order)).toEqual([100]);
    expect(of(samples, 'leaf_tag_health', { ...order, leaf_health_status: 'up' })).toEqual([1]);
    expect(of(samples, 'leaf_tag_health', { ...order, leaf_health_status: 'down' })).toEqual([0]);
    expect(of(samples, 'leaf_id_runway', order)).toHaveLength(1);

    // The table: every reservation moved max_id by one step; what was reserved and not issued is in memory.
    const reserved = of(samples, 'leaf_segment_reserved_total', order).reduce((sum, n) => sum + n, 0);
    const maxId = await database.maxId('order');
    expect(maxId).toBe(1n + 100n * BigInt(reserved));
    expect(reserved).toBeGreaterThanOrEqual(2);
    expect(of(samples, 'leaf_segment_reserved_total', { ...order, leaf_reservation_trigger: 'startup' })).toEqual([1]);
    expect(of(samples, 'leaf_id_available', order)).toEqual([Number(maxId!) - 1 - 150]);
    expect(of(samples, 'leaf_segment_next_ready', order)).toEqual([reserved * 100 - 150 > 100 ? 1 : 0]);

    // Every reservation timed, in seconds, in the library's buckets.
    const timed = of(samples, 'leaf_reservation_duration_count', order).reduce((sum, n) => sum + n, 0);
    expect(timed).toBe(reserved);
    expect(of(samples, 'leaf_reservation_duration_bucket', { ...order, le: '0.0005' }).length).toBeGreaterThan(0);
    expect(of(samples, 'leaf_reservation_duration_sum', order).every((s) => s > 0 && s < 5 * reserved)).toBe(true);

    await ids.nextIds('order', 5);
    expect(of((await scrape()).samples, 'leaf_id_issued_total', order)).toEqual([155]); // read at every scrape
  });
});
