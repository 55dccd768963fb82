import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { readFileSync } from 'node:fs';
import { IdGenerator } from 'nest-leaf';
import { LEAF_METRICS_OPTIONS, LeafMetrics } from 'nest-leaf/prometheus';
import { LeafTestingModule } from 'nest-leaf/testing';
import { Registry } from 'prom-client';
import { exposedSeries, grafanaToPromql, promqlReads, type ExposedSeries } from '../support/promql.js';

// Issue #24, item 4: dashboards/nest-leaf.json must only query what nest-leaf/prometheus exports. The names come from
// a real scrape of LeafMetrics (not from a list kept here), so renaming a metric in the library fails this suite
// until the dashboard follows.

const DASHBOARD_PATH = new URL('../../dashboards/nest-leaf.json', import.meta.url);
const DATASOURCE = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };

interface Target {
  readonly expr?: string;
  readonly refId?: string;
  readonly datasource?: unknown;
}
interface Panel {
  readonly id?: number;
  readonly type: string;
  readonly title?: string;
  readonly datasource?: unknown;
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}
interface Dashboard {
  readonly __inputs?: readonly { name: string; type: string; pluginId: string }[];
  readonly panels: readonly Panel[];
  readonly templating: { list: readonly { name: string; type: string; datasource?: unknown; definition?: string }[] };
}

const loadDashboard = (): Dashboard => JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;

/** Every panel, those inside collapsed rows included. */
const allPanels = (panels: readonly Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

/** Problems of one PromQL expression against the exposed series; `where` names it in the messages. */
function queryProblems(where: string, expr: string, series: Map<string, ExposedSeries>): string[] {
  let reads;
  try {
    reads = promqlReads(grafanaToPromql(expr));
  } catch (error) {
    return [`${where}: ${(error as Error).message}`];
  }
  const problems: string[] = [];
  if (reads.selectors.length === 0) problems.push(`${where}: names no metric`);
  const labels = new Set<string>();
  for (const { metric, labels: matched } of reads.selectors) {
    const exposed = series.get(metric);
    if (exposed === undefined) {
      problems.push(`${where}: ${metric} is not a series nest-leaf/prometheus exposes`);
      continue;
    }
    for (const label of exposed.labels) labels.add(label);
    for (const label of matched) {
      if (!exposed.labels.has(label)) problems.push(`${where}: ${metric} has no label "${label}"`);
    }
  }
  for (const label of reads.grouping) {
    if (!labels.has(label)) problems.push(`${where}: groups by "${label}", which none of its metrics carries`);
  }
  return problems;
}

/** Everything wrong with `dashboard` against the series a scrape exposed: empty when it is fine. */
function dashboardProblems(dashboard: Dashboard, series: Map<string, ExposedSeries>): string[] {
  const problems: string[] = [];
  const seen = new Map<number, string>();
  for (const panel of allPanels(dashboard.panels)) {
    const where = `panel "${panel.title}"`;
    if (typeof panel.id !== 'number') problems.push(`${where} has no numeric id`);
    else if (seen.has(panel.id)) problems.push(`${where} has the id ${panel.id} of panel "${seen.get(panel.id)}"`);
    else seen.set(panel.id, String(panel.title));
    if (panel.type === 'row') continue;
    if (!isDatasource(panel.datasource)) problems.push(`${where} has no \${DS_PROMETHEUS} datasource`);
    if (!panel.targets?.length) problems.push(`${where} has no query`);
    for (const target of panel.targets ?? []) {
      const at = `${where} query ${target.refId}`;
      if (target.datasource !== undefined && !isDatasource(target.datasource))
        problems.push(`${at}: another datasource`);
      if (typeof target.expr !== 'string') problems.push(`${at}: no expr`);
      else problems.push(...queryProblems(at, target.expr, series));
    }
  }
  for (const variable of dashboard.templating.list) {
    if (variable.type !== 'query') continue;
    if (!isDatasource(variable.datasource)) problems.push(`variable $${variable.name} has no \${DS_PROMETHEUS}`);
    // label_values(<selector>, <label>): the selector must be exposed, and carry the label.
    const call = /^label_values\((.+),\s*([a-zA-Z_]\w*)\)$/.exec(variable.definition ?? '');
    if (!call) problems.push(`variable $${variable.name}: not a label_values(metric, label) query`);
    else problems.push(...queryProblems(`variable $${variable.name}`, `${call[1]}{${call[2]}!=""}`, series));
  }
  return problems;
}

const isDatasource = (value: unknown) => JSON.stringify(value) === JSON.stringify(DATASOURCE);

describe('dashboards/nest-leaf.json', () => {
  let moduleRef: TestingModule;
  let series: Map<string, ExposedSeries>;

  beforeAll(async () => {
    // The prometheus module as an app runs it: LeafMetrics provided next to LeafModule (here its testing twin),
    // on a registry of its own. One ID and the startup reservations give every family samples, the histogram too.
    const registry = new Registry();
    moduleRef = await Test.createTestingModule({
      imports: [LeafTestingModule.forRoot({ bizTags: ['order', 'user'] })],
      providers: [{ provide: LEAF_METRICS_OPTIONS, useValue: { registry } }, LeafMetrics],
    }).compile();
    await moduleRef.init();
    await moduleRef.get(IdGenerator).nextId('order');
    series = exposedSeries(await registry.metrics());
  });

  afterAll(() => moduleRef?.close());

  it('reads a scrape that holds every family of the library, the histogram as _bucket, _sum and _count', () => {
    expect(series.get('leaf_reservation_duration_seconds_bucket')).toEqual({
      family: 'leaf_reservation_duration_seconds',
      type: 'histogram',
      labels: new Set(['le', 'tag', 'trigger', 'result']),
    });
    expect(series.has('leaf_reservation_duration_seconds')).toBe(false);
    expect(series.get('leaf_ids_issued_total')?.type).toBe('counter');
  });

  it('queries only series the library exports, with labels they carry; every panel has the datasource input and an id of its own', () => {
    expect(dashboardProblems(loadDashboard(), series)).toEqual([]);
  });

  it('shows every figure the library exports (issue rate, runway, memory, latency, failures, waits, health)', () => {
    const queried = new Set(
      allPanels(loadDashboard().panels).flatMap((panel) =>
        (panel.targets ?? []).flatMap((t) => promqlReads(grafanaToPromql(t.expr!)).selectors.map((s) => s.metric)),
      ),
    );
    // By the family a scrape puts each series in: _count is a histogram's suffix only where its # TYPE says so.
    const families = new Set([...series.values()].map((s) => s.family));
    const shown = new Set([...queried].map((name) => series.get(name)?.family));
    expect([...families].filter((family) => !shown.has(family))).toEqual([]);
  });

  it('imports anywhere: the Prometheus datasource is an input, and the tag variable lists the tags', () => {
    const dashboard = loadDashboard();
    expect(dashboard.__inputs).toEqual([
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
    ]);
    expect(dashboard.templating.list.map((v) => v.name)).toContain('tag');
  });

  it('fails when a metric is renamed, a suffix is put on a family that has none, or a label is wrong', () => {
    const text = readFileSync(DASHBOARD_PATH, 'utf8');
    const broken = (from: string, to: string) => {
      expect(text).toContain(from);
      return dashboardProblems(JSON.parse(text.replaceAll(from, to)) as Dashboard, series);
    };
    expect(broken('leaf_runway_seconds{', 'leaf_runway_secs{')).toContainEqual(
      expect.stringContaining('leaf_runway_secs is not a series'),
    );
    // A gauge has no _count: only the families a scrape shows with one do.
    expect(broken('leaf_step{', 'leaf_step_count{')).toContainEqual(
      expect.stringContaining('leaf_step_count is not a series'),
    );
    expect(broken('leaf_ids_issued_total', 'leaf_ids_total')).toContainEqual(
      expect.stringContaining('variable $tag: leaf_ids_total is not a series'),
    );
    expect(broken('sum by (trigger)', 'sum by (reason)')).toEqual([expect.stringContaining('groups by "reason"')]);
    expect(broken('result=\\"ok\\"', 'outcome=\\"ok\\"').length).toBeGreaterThan(0);
    expect(broken('"uid": "${DS_PROMETHEUS}"', '"uid": "prometheus"').length).toBeGreaterThan(0);
  });

  it('fails on a duplicate panel id and on a query that is no PromQL', () => {
    const dashboard = loadDashboard();
    const [first, second] = dashboard.panels.filter((p) => p.type !== 'row');
    const twin = { ...dashboard, panels: [first, { ...second, id: first.id }] };
    expect(dashboardProblems(twin, series)).toEqual([expect.stringContaining(`has the id ${first.id}`)]);
    const garbled = {
      ...dashboard,
      panels: [{ ...first, targets: [{ refId: 'A', expr: 'sum(rate(leaf_waits_total[5m])' }] }],
    };
    expect(dashboardProblems(garbled, series)).toEqual([expect.stringContaining('PromQL syntax error')]);
  });
});
