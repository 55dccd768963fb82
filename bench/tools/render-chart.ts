/**
 * Redraws the SVG chart from a results JSON, without running anything: to restyle the chart, or to draw an
 * older run. Usage: node dist/bench/tools/render-chart.js bench/results/latest.json [out.svg]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { FarDatabaseResult, FarPhase } from '../measure/far-database.js';
import type { HttpResult, HttpRouteResult } from '../measure/http.js';
import type { NodesCount, NodesResult } from '../measure/nodes.js';
import { renderChart } from '../support/chart.js';
import type { Machine } from '../support/machine.js';
import type { Ratio } from '../support/ratio.js';

interface ResultsJson {
  readonly cases: Array<{ key: string } & Record<string, unknown>>;
  readonly ratios: Record<string, Ratio>;
  readonly settings: { quick: boolean };
  readonly machine: Machine;
}

const [input, output] = process.argv.slice(2);
if (!input) {
  process.stderr.write('usage: node dist/bench/tools/render-chart.js <results.json> [out.svg]\n');
  process.exit(2);
}
const json = JSON.parse(readFileSync(input, 'utf8')) as ResultsJson;
const byKey = new Map(json.cases.map((c) => [c.key, c]));

let far: FarDatabaseResult | undefined;
const timeline = byKey.get('farDatabase.timeline') as unknown as (FarDatabaseResult & { key: string }) | undefined;
if (timeline) {
  const phases = ['warm-up', 'steady', 'burst'].map(
    (name) => byKey.get(`farDatabase.${name}`) as unknown as FarPhase & { rttMs: number; phase: FarPhase['name'] },
  );
  far = {
    rttMs: phases[0].rttMs,
    phases: phases.map((p) => ({ ...p, name: p.phase })),
    windows: timeline.windows,
    reservations: timeline.reservations,
    errors: timeline.errors,
    outOfOrder: timeline.outOfOrder,
  };
}
let http: HttpResult | undefined;
const ids = byKey.get('http.ids') as unknown as HttpRouteResult | undefined;
const empty = byKey.get('http.empty') as unknown as HttpRouteResult | undefined;
if (ids && empty) http = { routes: { ids, empty }, waits: 0, reservations: 0 };
const counts = json.cases.filter((c) => c.key.startsWith('nodes.')) as unknown as NodesCount[];
const nodes: NodesResult | undefined = counts.length > 0 ? { counts, rangesChecked: 0 } : undefined;

const svg = await renderChart({
  ratios: json.ratios,
  far,
  http,
  nodes,
  machine: json.machine,
  quick: json.settings.quick,
});
writeFileSync(output ?? input.replace(/\.json$/, '.svg'), svg);
