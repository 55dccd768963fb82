import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { FarDatabaseResult, FarPhase } from '../measure/far-database.js';
import type { HttpResult } from '../measure/http.js';
import type { NodesResult } from '../measure/nodes.js';
import type { Goal, Ratio } from './ratio.js';
import type { Machine } from './machine.js';

/**
 * The bench's figure: a Vega-Lite spec rendered to SVG in Node (no canvas, no browser). Every goal as
 * headroom over its threshold, the far-database run over time (load and step, latency, the cold start
 * zoomed), and the HTTP and multi-node throughputs.
 */
export interface ChartInput {
  readonly ratios: Record<string, Ratio>;
  readonly far?: FarDatabaseResult;
  readonly http?: HttpResult;
  readonly nodes?: NodesResult;
  readonly machine: Machine;
  readonly quick: boolean;
}

type Panel = Extract<TopLevelSpec, { vconcat: unknown }>['vconcat'][number];
type Layer = Extract<Panel, { layer: unknown }>['layer'][number];

const WIDTH = 900;
const C = {
  met: '#2e7d32',
  missed: '#c62828',
  axis: '#9e9e9e',
  text: '#212121',
  muted: '#616161',
  step: '#1565c0',
  load: '#ffb74d',
  achieved: '#ef6c00',
  p99: '#6a1b9a',
  max: '#ce93d8',
  wait: '#c62828',
  bar: '#546e7a',
};
const FONT = 'Helvetica, Arial, sans-serif';

/** Without a canvas Vega sizes text at 0.8 em a character, half as wide again as it is: guess Helvetica's widths instead. */
const EM: Array<[RegExp, number]> = [
  [/[ijl|!.,:;'`]/, 0.25],
  [/[frtI ()[\]/-]/, 0.32],
  [/[mwMW%@]/, 0.86],
  [/[A-Z×≥≤→←]/, 0.68],
];
const metrics = (
  vega as unknown as { textMetrics: { width: (item: Record<string, unknown>, text?: unknown) => number } }
).textMetrics;
metrics.width = (item, text) => {
  const size = Number(item.fontSize ?? 11) * (/bold|[6-9]00/.test(String(item.fontWeight)) ? 1.08 : 1);
  return [...String(text ?? '')].reduce((w, c) => w + (EM.find(([re]) => re.test(c))?.[1] ?? 0.56), 0) * size;
};

const COMPACT = new Intl.NumberFormat('en-US', { notation: 'compact', maximumSignificantDigits: 3 });
const compact = (v: number) => (Number.isFinite(v) ? COMPACT.format(v).replace('K', 'k') : 'n/a');
const goalLabel = (g: Goal) =>
  g.atLeast !== undefined ? `≥ ${g.atLeast}` : g.atMost !== undefined ? `≤ ${g.atMost}` : `< ${g.below}`;

/** How many times better than its threshold a value is: > 1 met, < 1 missed. Infinity for a perfect 0. */
function headroom(value: number, goal: Goal): number {
  if (goal.atLeast !== undefined) return value / goal.atLeast;
  return value === 0 ? Number.POSITIVE_INFINITY : (goal.atMost ?? goal.below ?? 0) / value;
}

const log = (domain: number[]) => ({ type: 'log' as const, domain, clamp: true });
const title = (text: string, subtitle?: string) => ({
  text,
  subtitle,
  fontSize: 12,
  fontWeight: 400 as const,
  color: C.text,
});
/** A dashed rule at the start of every phase of the far-database run. */
const phaseRules = (far: FarDatabaseResult): Layer => ({
  data: { values: far.phases.map((p) => ({ s: p.fromMs / 1000 })) },
  mark: { type: 'rule', color: C.axis, strokeDash: [4, 3] },
  encoding: { x: { field: 's', type: 'quantitative' } },
});

function goalsPanel(ratios: Ratio[]): Panel {
  const plot = 400;
  const values = ratios.flatMap(({ name, value, goal }) => {
    if (!goal) return [];
    const h = headroom(value, goal);
    const shown = value < 0.01 && value > 0 ? value.toExponential(1) : compact(value);
    const label = `${shown} (goal ${goalLabel(goal)}) ${goal.met ? 'met' : 'MISSED'}`;
    return [
      {
        name,
        h: Math.min(100, Math.max(0.1, h)),
        perfect: !Number.isFinite(h),
        met: goal.met ? 'met' : 'missed',
        label,
      },
    ];
  });
  const y = { field: 'name', type: 'nominal' as const, sort: null, title: null };
  const rows = { domain: false, ticks: false, grid: true, tickBand: 'extent' as const };
  const color = {
    field: 'met',
    type: 'nominal' as const,
    legend: null,
    scale: { domain: ['met', 'missed'], range: [C.met, C.missed] },
  };
  const ticks = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100];
  // The names are a column of text, not axis labels, so that the panels below stay aligned on the page's left.
  const names: Panel = {
    width: 385,
    height: { step: 24 },
    view: { stroke: null },
    data: { values },
    mark: { type: 'text', align: 'left', fontSize: 12, color: C.text },
    encoding: { y: { ...y, axis: { ...rows, labels: false } }, x: { value: 4 }, text: { field: 'name' } },
  };
  const bars: Panel = {
    width: plot,
    height: { step: 24 },
    view: { stroke: null },
    data: { values },
    encoding: { y: { ...y, axis: { ...rows, labels: false } } },
    layer: [
      {
        mark: { type: 'bar', size: 12, opacity: 0.85 },
        encoding: {
          x: {
            field: 'h',
            type: 'quantitative',
            scale: log([0.1, 100]),
            title: null,
            axis: { values: ticks, labelExpr: "datum.value + '×'" },
          },
          x2: { datum: 1 },
          color,
        },
      },
      {
        mark: { type: 'rule', color: C.text, strokeWidth: 1.5 },
        encoding: { x: { datum: 1 }, y: { value: 0 }, y2: { value: values.length * 24 } },
      },
      {
        transform: [{ filter: 'datum.perfect' }],
        mark: { type: 'text', align: 'right', dx: -4, color: '#ffffff', fontSize: 11 },
        encoding: { x: { datum: 100 }, text: { value: '0 ✓' } },
      },
      {
        mark: {
          type: 'text',
          align: 'left',
          fontSize: 12,
          fontWeight: { expr: "datum.met == 'missed' ? 'bold' : 'normal'" },
        },
        encoding: { x: { value: plot + 10 }, text: { field: 'label' }, color },
      },
    ],
  };
  return {
    title: {
      text: 'Goals: how far each result is from its threshold',
      subtitle: 'value ÷ goal, or goal ÷ value for upper limits; log scale, right of 1× met, left of it missed',
    },
    hconcat: [names, bars],
    spacing: 0,
    bounds: 'flush',
  };
}

/** The far-database run: offered and achieved load with the step in use, latency per window, the cold start. */
function farPanel(far: FarDatabaseResult): Panel {
  const last = far.phases[far.phases.length - 1];
  const endS = last.toMs / 1000;
  const first = far.phases[0].stepAtStart;
  const steps = [first, ...far.windows.map((w) => w.step), ...far.reservations.map((r) => r.step)].filter((s) => s > 0);
  const minStep = 10 ** Math.floor(Math.log10(Math.min(...steps)));
  const maxStep = 10 ** Math.ceil(Math.log10(Math.max(...steps) * 1.01));
  const stepScale = log([minStep, maxStep]);
  const stepTicks = Array.from({ length: Math.round(Math.log10(maxStep / minStep)) + 1 }, (_, i) => minStep * 10 ** i);
  const xTime = {
    field: 's',
    type: 'quantitative' as const,
    scale: { domain: [0, endS], nice: false },
    title: 'time since the load began',
    axis: { labelExpr: "datum.value + ' s'", tickCount: 14 },
  };
  const lines = {
    field: 'series',
    type: 'nominal' as const,
    title: null,
    legend: { symbolType: 'stroke', symbolStrokeWidth: 2 },
  };
  const dots = { field: 'kind', type: 'nominal' as const, title: null, legend: { symbolType: 'circle' } };
  const landed = far.reservations.filter((r) => r.t >= 0);
  const dotScale = { domain: ['reservation (prefetch)', 'reservation a caller waited for'], range: [C.step, C.wait] };
  const reservations = landed.map((r) => ({
    s: r.t / 1000,
    ms: r.t,
    step: r.step,
    ok: r.ok,
    label: compact(r.step),
    kind: dotScale.domain[r.trigger === 'on-demand' ? 1 : 0],
  }));
  const dot = (x: string, values: typeof reservations, legend = true): Layer => ({
    data: { values },
    mark: { type: 'point', filled: true, size: 45 },
    encoding: {
      x: { field: x, type: 'quantitative' },
      y: { field: 'step', type: 'quantitative', scale: stepScale },
      fill: { ...dots, ...(legend ? {} : { legend: null }), scale: dotScale },
      opacity: { condition: { test: 'datum.ok', value: 1 }, value: 0.35 },
    },
  });

  const load: Panel = {
    title: title('IDs/s offered and issued (right axis), and the step of the segment in use (left axis, log scale)'),
    width: WIDTH,
    height: 190,
    encoding: { x: xTime },
    resolve: { scale: { y: 'independent' } },
    layer: [
      {
        encoding: {
          y: {
            field: 'v',
            type: 'quantitative',
            title: 'IDs/s',
            axis: {
              orient: 'right',
              labelExpr: "format(datum.value, '~s')",
              titleColor: C.achieved,
              labelColor: C.achieved,
              grid: false,
            },
          },
          stroke: {
            ...lines,
            scale: {
              domain: ['step of the segment in use', 'offered load', 'IDs issued/s'],
              range: [C.step, C.load, C.achieved],
            },
          },
        },
        layer: [
          {
            data: {
              values: [
                ...far.phases.map((p) => ({ s: p.fromMs / 1000, v: p.offeredPerSec })),
                { s: endS, v: last.offeredPerSec },
              ].map((d) => ({ ...d, series: 'offered load' })),
            },
            mark: { type: 'area', interpolate: 'step-after', fill: C.load, fillOpacity: 0.25 },
          },
          {
            data: { values: far.windows.map((w) => ({ s: w.t / 1000, v: w.achievedPerSec, series: 'IDs issued/s' })) },
            mark: { type: 'line', strokeWidth: 1.2 },
          },
        ],
      },
      {
        encoding: {
          y: {
            field: 'step',
            type: 'quantitative',
            scale: stepScale,
            title: 'step',
            axis: { orient: 'left', values: stepTicks, format: '~s', titleColor: C.step, labelColor: C.step },
          },
        },
        layer: [
          {
            data: {
              values: [
                { s: 0, step: first },
                ...far.windows.map((w) => ({ s: w.t / 1000, step: w.step })),
                { s: endS, step: far.windows.at(-1)?.step ?? first },
              ].map((d) => ({ ...d, series: 'step of the segment in use' })),
            },
            mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
            encoding: { stroke: lines },
          },
          dot('s', reservations),
        ],
      },
      phaseRules(far),
      {
        data: {
          values: far.phases.map((p, i) => ({
            s: p.fromMs / 1000,
            y: 12 + (i % 2) * 14,
            label: `${p.name}, ${compact(p.offeredPerSec)} IDs/s`,
          })),
        },
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 11, color: C.muted },
        encoding: { y: { field: 'y', type: 'quantitative', scale: null }, text: { field: 'label' } },
      },
    ],
  };

  const summary = (p: FarPhase) => `${p.name}: p999 ${p.latency.p999Ms.toFixed(3)} ms, ${p.waits} waits`;
  const yLat = {
    type: 'quantitative' as const,
    scale: log([0.001, 1000]),
    title: null,
    axis: {
      values: [0.001, 0.01, 0.1, 1, 10, 100, 1000],
      labelExpr: "datum.value < 1 ? datum.value * 1000 + ' µs' : datum.value + ' ms'",
    },
  };
  const mark = (y: number, color: string, strokeDash: number[], label: string): Layer[] => [
    { data: { values: [{}] }, mark: { type: 'rule', color, strokeDash }, encoding: { y: { datum: y, ...yLat } } },
    {
      data: { values: [{}] },
      mark: { type: 'text', align: 'right', dx: -4, dy: -7, fontSize: 11, color },
      encoding: { x: { value: WIDTH }, y: { datum: y, ...yLat }, text: { value: label } },
    },
  ];
  const latency: Panel = {
    title: title('nextId latency per 250 ms window (log scale)', far.phases.slice(1).map(summary).join(' · ')),
    width: WIDTH,
    height: 170,
    layer: [
      {
        data: {
          values: far.windows.flatMap((w) => [
            { s: w.t / 1000, ms: w.maxMs, series: 'max' },
            { s: w.t / 1000, ms: w.p99Ms, series: 'p99' },
          ]),
        },
        transform: [{ filter: 'isFinite(datum.ms)' }],
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: xTime,
          y: { field: 'ms', ...yLat },
          stroke: { ...lines, sort: null, scale: { domain: ['max', 'p99'], range: [C.max, C.p99] } },
        },
      },
      {
        data: {
          values: far.windows
            .filter((w) => w.waits > 0)
            .map((w) => ({ s: w.t / 1000, s2: (w.t + 250) / 1000, kind: 'a window with waits' })),
        },
        mark: { type: 'rect', height: 6, y: 0 },
        encoding: {
          x: xTime,
          x2: { field: 's2' },
          fill: {
            field: 'kind',
            type: 'nominal',
            title: null,
            scale: { range: [C.wait] },
            legend: { symbolType: 'square' },
          },
        },
      },
      ...mark(1, C.missed, [6, 3], 'goal: p999 < 1 ms'),
      ...mark(far.rttMs, C.muted, [2, 3], `one round trip, ${far.rttMs.toFixed(0)} ms`),
      phaseRules(far),
    ],
  };

  // The cold start, zoomed: up to half again past the last window of the warm-up in which callers waited (or,
  // without waits, past the warm-up's last reservation): the span in which the step caught up with the load.
  const warm = far.phases[0];
  const waitIndex = far.windows.findLastIndex((w) => w.t < warm.toMs && w.waits > 0);
  const settledAt =
    waitIndex >= 0
      ? (far.windows[waitIndex + 1]?.t ?? warm.toMs)
      : (landed.filter((r) => r.t <= warm.toMs).at(-1)?.t ?? warm.toMs);
  const zoomMs = Math.max(200, Math.min(warm.toMs, settledAt * 1.5));
  const zoomed = reservations.filter((r) => r.ms <= zoomMs);
  const xZoom = {
    field: 'ms',
    type: 'quantitative' as const,
    scale: { domain: [0, zoomMs], nice: false },
    title: null,
    axis: { labelExpr: "datum.value + ' ms'", tickCount: 8 },
  };
  const coldStart: Panel = {
    title: title(
      `Cold start, zoomed: the step of every reservation in the first ${Math.round(zoomMs)} ms (log scale); dashed: step asked for, dot: reservation landed`,
      `warm-up: ${warm.waits.toLocaleString('en-US')} calls (${(100 * warm.waitShare).toFixed(1)}%) waited while the step grew from ${compact(warm.stepAtStart)} to ${compact(warm.stepAtEnd)}`,
    ),
    width: WIDTH,
    height: 110,
    encoding: { x: xZoom },
    layer: [
      {
        data: { values: [{ ms: 0, step: first }, ...zoomed, { ms: zoomMs, step: zoomed.at(-1)?.step ?? first }] },
        mark: { type: 'line', interpolate: 'step-after', strokeDash: [3, 2], strokeWidth: 1.5, color: C.step },
        encoding: {
          y: {
            field: 'step',
            type: 'quantitative',
            scale: stepScale,
            title: 'step',
            axis: { values: stepTicks, format: '~s', titleColor: C.step, labelColor: C.step },
          },
        },
      },
      dot('ms', zoomed, false),
      {
        data: { values: zoomed },
        mark: { type: 'text', align: 'left', dx: 5, dy: -8, fontSize: 10, color: C.muted },
        encoding: { y: { field: 'step', type: 'quantitative', scale: stepScale }, text: { field: 'label' } },
      },
    ],
  };
  return {
    title: {
      text: `Far database (${far.rttMs.toFixed(1)} ms round trip through the proxy): open-loop nextId load, dynamic step`,
    },
    spacing: 30,
    resolve: { scale: { stroke: 'independent', fill: 'independent' } },
    vconcat: [load, latency, coldStart],
  };
}

/** Horizontal bars, each with its label before it and its value (and a note) past its end. */
function barsPanel(heading: string, bars: Array<{ label: string; value: number; note?: string }>, unit: string): Panel {
  const values = bars.map((b, i) => ({ ...b, i, text: `${compact(b.value)} ${unit}${b.note ? ` ${b.note}` : ''}` }));
  const y = { field: 'label', type: 'nominal' as const, sort: null, axis: null };
  return {
    title: { text: heading },
    spacing: 0,
    bounds: 'flush',
    hconcat: [
      {
        width: 110,
        height: { step: 28 },
        view: { stroke: null },
        data: { values },
        mark: { type: 'text', align: 'left', fontSize: 12, color: C.text },
        encoding: { y, x: { value: 0 }, text: { field: 'label' } },
      },
      {
        width: 180,
        height: { step: 28 },
        view: { stroke: null },
        data: { values },
        encoding: { y, x: { field: 'value', type: 'quantitative', axis: null } },
        layer: [
          {
            mark: { type: 'bar', size: 18 },
            encoding: { color: { condition: { test: 'datum.i % 2 == 0', value: C.bar }, value: '#90a4ae' } },
          },
          {
            mark: { type: 'text', align: 'left', dx: 6, fontSize: 12, color: C.text },
            encoding: { text: { field: 'text' } },
          },
        ],
      },
    ],
  };
}

export async function renderChart(input: ChartInput): Promise<string> {
  const { machine, ratios } = input;
  const panels: Panel[] = [];
  if (Object.values(ratios).some((r) => r.goal)) panels.push(goalsPanel(Object.values(ratios)));
  if (input.far) panels.push(farPanel(input.far));
  const small: Panel[] = [];
  if (input.http) {
    const { ids, empty } = input.http.routes;
    const ratio = ratios.httpIdsVsEmpty?.value;
    const note = ratio === undefined ? '' : `(${ratio.toFixed(2)}× empty)`;
    small.push(
      barsPanel(
        'HTTP: the demo app, 64 connections',
        [
          { label: 'GET /ids/order', value: ids.requestsPerSec, note },
          { label: 'empty route', value: empty.requestsPerSec },
        ],
        'req/s',
      ),
    );
  }
  if (input.nodes) {
    const one = input.nodes.counts.find((c) => c.nodes === 1)?.idsPerSec ?? Number.NaN;
    small.push(
      barsPanel(
        `Nodes on one database (${machine.cores} cores)`,
        input.nodes.counts.map((c) => ({
          label: `${c.nodes} process${c.nodes > 1 ? 'es' : ''}`,
          value: c.idsPerSec,
          note:
            c.nodes > 1
              ? `(${(ratios[`nodes${c.nodes}VsNodes1`]?.value ?? c.idsPerSec / one).toFixed(2)}× 1 node)`
              : '',
        })),
        'IDs/s',
      ),
    );
  }
  if (small.length > 0) panels.push({ hconcat: small, spacing: 60 });
  const spec: TopLevelSpec = {
    title: {
      text: `nest-leaf benchmarks${input.quick ? ' (quick smoke run: figures are noise)' : ''}`,
      subtitle: `${machine.date.slice(0, 10)} · ${machine.cores} × ${machine.cpuModel} · ${machine.memory} · node ${machine.node} · MariaDB ${machine.mariadb} · ${machine.os}`,
      fontSize: 20,
      fontWeight: 700,
      subtitleFontSize: 12,
      subtitlePadding: 6,
      offset: 16,
    },
    background: '#ffffff',
    padding: 24,
    spacing: 36,
    vconcat: panels,
    config: {
      font: FONT,
      view: { stroke: C.axis },
      title: {
        anchor: 'start',
        frame: 'group',
        fontSize: 15,
        fontWeight: 600,
        color: C.text,
        subtitleColor: C.muted,
        subtitleFontSize: 11,
        offset: 8,
      },
      axis: {
        labelFontSize: 11,
        labelColor: C.muted,
        titleFontSize: 11,
        titleFontWeight: 400,
        titleColor: C.muted,
        gridColor: '#eeeeee',
      },
      legend: {
        orient: 'bottom',
        direction: 'horizontal',
        labelFontSize: 11,
        labelColor: C.text,
        labelLimit: 0,
        columnPadding: 18,
      },
    },
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return `${svg}\n`;
}
