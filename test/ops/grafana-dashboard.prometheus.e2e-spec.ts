import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdGenerator } from 'nest-leaf';
import { FaultProxy } from '../../harness/fault-proxy.js';
import { dropDatabases, freshDatabase, MYSQL, mysqlDemoEnv } from '../../harness/mariadb.js';
import { dashboardSvg, type ChartPanel, type PanelData } from '../support/dashboard-chart.js';
import { startDemo, type RunningDemo } from '../support/demo/demo-app.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus-server.js';

// Issue #24, item 4: the dashboard's queries run in a real Prometheus (Debian's package, /usr/bin/prometheus)
// scraping the demo's /metrics every second while it serves a load with a database cut in the middle. Every panel
// must get data back, and what the panels got is drawn with Vega-Lite: docs/dashboard.svg, a stand-in for a Grafana
// screenshot (Grafana does not run here).

const SUITE = 'deploy_dashboard';
const DASHBOARD = JSON.parse(readFileSync(new URL('../../dashboards/nest-leaf.json', import.meta.url), 'utf8')) as {
  title: string;
  panels: Array<ChartPanel & { targets?: Array<{ expr: string; legendFormat?: string }> }>;
};
const DOCS_PICTURE = join(import.meta.dirname, '..', '..', 'docs', 'dashboard.svg');
// docs/dashboard.svg is rewritten only on request (or when missing), so test runs leave the working tree clean.
const PICTURE =
  process.env.LEAF_UPDATE_SCREENSHOT === '1' || !existsSync(DOCS_PICTURE)
    ? DOCS_PICTURE
    : join(tmpdir(), `leaf-dashboard-${process.pid}.svg`);

/** One phase of the load: how long, the IDs per second of each tag, and what happens to the database. */
interface Phase {
  readonly seconds: number;
  readonly perSecond: Record<string, number>;
  readonly database?: 'cut' | 'restore';
  /**
   * One batch of this many `invoice_id` IDs at the phase's start (a tag the load leaves idle, 200 IDs in memory):
   * more than memory holds, so the call waits for an on-demand reservation.
   */
  readonly burst?: number;
}
const PHASES: Phase[] = [
  { seconds: 8, perSecond: { order: 100, user: 300 } },
  { seconds: 8, perSecond: { order: 3000, user: 300 } },
  { seconds: 10, perSecond: { order: 1000, user: 300 }, database: 'cut', burst: 10_000 },
  { seconds: 10, perSecond: { order: 500, user: 300 }, database: 'restore', burst: 9000 },
];
const TICK_MS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Grafana's variables as Grafana would fill them for this run: every tag, a rate window of 5 scrapes. */
const fill = (expr: string, rangeSeconds: number) =>
  expr.replaceAll('$__rate_interval', '5s').replaceAll('$__range', `${rangeSeconds}s`).replaceAll('"$tag"', '".*"');
const legend = (format: string | undefined, labels: Record<string, string>) =>
  (format ?? '').replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => labels[name] ?? '') || JSON.stringify(labels);

describe('dashboards/nest-leaf.json in a real Prometheus', () => {
  let proxy: FaultProxy;
  let demo: RunningDemo;
  let prometheus: PrometheusServer;
  let database: string;
  let start: number;
  let end: number;
  let failedCalls = 0;

  beforeAll(async () => {
    const db = await freshDatabase(SUITE, { withTable: false });
    database = db.name;
    await db.close();
    proxy = await FaultProxy.start({ target: { host: MYSQL.host, port: MYSQL.port } });
    demo = await startDemo({
      ...mysqlDemoEnv(database),
      DB_HOST: proxy.host,
      DB_PORT: String(proxy.port),
      LEAF_STEP: '200',
    });
    prometheus = await startPrometheus(new URL(demo.url).host, '/metrics', 1);
    const ids = demo.app.get(IdGenerator);
    start = Math.floor(Date.now() / 1000);
    for (const phase of PHASES) {
      if (phase.database === 'cut') proxy.cut();
      if (phase.database === 'restore') proxy.restore();
      if (phase.burst !== undefined) void ids.nextIds('invoice_id', phase.burst).catch(() => failedCalls++);
      const until = Date.now() + phase.seconds * 1000;
      while (Date.now() < until) {
        const tick = sleep(TICK_MS);
        for (const [tag, rate] of Object.entries(phase.perSecond)) {
          void ids.nextIds(tag, Math.max(1, Math.round((rate * TICK_MS) / 1000))).catch(() => failedCalls++);
        }
        await tick;
      }
    }
    await sleep(3000); // the last scrapes
    end = Math.ceil(Date.now() / 1000);
  }, 120_000);

  afterAll(async () => {
    proxy?.restore();
    await demo?.close();
    await prometheus?.stop();
    await proxy?.close();
    if (database) await dropDatabases([database]);
  });

  it('scraped the demo every second', async () => {
    expect(await prometheus.scrapes()).toBeGreaterThanOrEqual((end - start) * 0.8);
  });

  it('gets data for every query of every panel, and draws them', async () => {
    const empty: string[] = [];
    const data: PanelData[] = [];
    for (const panel of DASHBOARD.panels.filter((p) => p.type !== 'row')) {
      const series: PanelData['series'][number][] = [];
      for (const target of panel.targets ?? []) {
        const result = await prometheus.queryRange(fill(target.expr, end - start), start, end, 1);
        if (result.length === 0) empty.push(`${panel.title}: ${target.expr}`);
        for (const { metric, values } of result) {
          const points = values.map(([t, v]) => [t * 1000, Number(v)] as const).filter(([, v]) => Number.isFinite(v));
          series.push({ name: legend(target.legendFormat, metric), points });
        }
      }
      data.push({ panel, series });
    }
    expect(empty).toEqual([]);
    const svg = await dashboardSvg(
      `${DASHBOARD.title} (dashboards/nest-leaf.json), drawn from its own queries`,
      `Prometheus ${new Date(start * 1000).toISOString().slice(0, 10)} scraping the demo on MariaDB every second: ` +
        'two tags under load, the database cut for 10 s, a burst of IDs on an idle tag in the cut and after it. Rendered with Vega-Lite, not Grafana.',
      data,
      [start * 1000, end * 1000],
    );
    for (const panel of data) expect(svg).toContain(panel.panel.title.replaceAll('&', '&amp;'));
    writeFileSync(PICTURE, svg);
  });

  it('shows the cut and the bursts: failed reservations and waits', async () => {
    const last = async (query: string) => Number((await prometheus.queryRange(query, end, end, 1))[0]?.values[0][1]);
    const seen = {
      reservationErrors: await last('sum(leaf_reservation_errors_total)'),
      invoiceIdWaits: await last('sum(leaf_waits_total{tag="invoice_id"})'),
    };
    process.stdout.write(`${JSON.stringify({ ...seen, failedCalls })}\n`);
    expect(seen).toEqual({ reservationErrors: expect.any(Number), invoiceIdWaits: expect.any(Number) });
    expect(Math.min(seen.reservationErrors, seen.invoiceIdWaits)).toBeGreaterThan(0);
  });
});
