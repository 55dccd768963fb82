import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

/** A panel of a Grafana dashboard as far as the picture needs it. */
export interface ChartPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly fieldConfig?: { defaults?: { unit?: string; decimals?: number } };
}

/** What one panel's queries returned: named series of `[milliseconds, value]` points. */
export interface PanelData {
  readonly panel: ChartPanel;
  readonly series: ReadonlyArray<{ name: string; points: ReadonlyArray<readonly [number, number]> }>;
}

const WIDTH = 1180;
const GRID_COLUMNS = 24;
const FONT = 'Helvetica, Arial, sans-serif';
const UNITS: Record<string, string> = { ops: 'per second', s: 'seconds', short: '', none: '' };
const STATES = ['up', 'degraded', 'down'];

/** Without a canvas Vega sizes text at 0.8 em a character; Helvetica's widths, roughly, as the bench chart guesses them. */
const EM: Array<[RegExp, number]> = [
  [/[ijl|!.,:;'`]/, 0.25],
  [/[frtI ()[\]/-]/, 0.32],
  [/[mwMW%@]/, 0.86],
  [/[A-Z]/, 0.68],
];
const metrics = (
  vega as unknown as { textMetrics: { width: (item: Record<string, unknown>, text?: unknown) => number } }
).textMetrics;
metrics.width = (item, text) =>
  [...String(text ?? '')].reduce((w, c) => w + (EM.find(([re]) => re.test(c))?.[1] ?? 0.56), 0) *
  Number(item.fontSize ?? 11);

const format = (value: number, unit: string | undefined, decimals: number | undefined) =>
  decimals !== undefined
    ? value.toFixed(decimals)
    : unit === 's'
      ? `${value < 1 ? (value * 1000).toPrecision(3) + ' ms' : value.toPrecision(3) + ' s'}`
      : new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 }).format(value) + (unit === 'ops' ? '/s' : '');

/**
 * The dashboard drawn with Vega-Lite as an SVG, laid out by each panel's `gridPos`: a stat panel as its last value,
 * a time series as lines, a state timeline as bands of up, degraded and down. A stand-in for a Grafana screenshot,
 * drawn from what the panels' own queries returned.
 */
export async function dashboardSvg(
  title: string,
  subtitle: string,
  data: readonly PanelData[],
  range: readonly [startMs: number, endMs: number],
): Promise<string> {
  const rows = new Map<number, PanelData[]>();
  for (const entry of data) rows.set(entry.panel.gridPos.y, [...(rows.get(entry.panel.gridPos.y) ?? []), entry]);
  const width = (panel: ChartPanel) => Math.round((panel.gridPos.w / GRID_COLUMNS) * WIDTH) - 40;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle, anchor: 'start', fontSize: 16, subtitleColor: '#616161' },
    padding: 16,
    background: 'white',
    vconcat: [...rows.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, panels]) => ({
        hconcat: panels
          .sort((a, b) => a.panel.gridPos.x - b.panel.gridPos.x)
          .map((entry) => panelSpec(entry, width(entry.panel), range)),
        resolve: {
          scale: { color: 'independent', y: 'independent', x: 'independent' },
          legend: { color: 'independent' },
        },
      })),
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    config: {
      font: FONT,
      view: { stroke: '#e0e0e0' },
      title: { fontSize: 12, fontWeight: 600, anchor: 'start', color: '#212121' },
      axis: { labelFontSize: 10, titleFontSize: 10, titleFontWeight: 400, titleColor: '#616161', gridColor: '#eeeeee' },
      legend: { orient: 'bottom', direction: 'horizontal', labelFontSize: 10, labelLimit: 0, columns: 4 },
    },
  } as unknown as TopLevelSpec;
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return `${svg}\n`;
}

function panelSpec({ panel, series }: PanelData, width: number, range: readonly [number, number]): object {
  // Every panel on the same time axis, as Grafana draws them.
  const x = { field: 't', type: 'temporal', scale: { domain: [...range] }, axis: { title: null, format: '%H:%M:%S' } };
  const unit = panel.fieldConfig?.defaults?.unit;
  const values = series.flatMap(({ name, points }) => points.map(([t, v]) => ({ t, v, s: name })));
  if (panel.type === 'stat') {
    const last = series.map((s) => s.points.at(-1)?.[1]).find((v) => v !== undefined);
    return {
      title: panel.title,
      width,
      height: 50,
      data: {
        values: [{ text: last === undefined ? 'No data' : format(last, unit, panel.fieldConfig?.defaults?.decimals) }],
      },
      mark: { type: 'text', fontSize: 26, fontWeight: 600, color: '#2e7d32', align: 'left', x: 4, y: 28 },
      encoding: { text: { field: 'text' } },
    };
  }
  if (panel.type === 'state-timeline') {
    const bands = series.flatMap(({ name, points }) =>
      points.map(([t, v], i) => ({ t, t2: points[i + 1]?.[0] ?? t + 1000, s: name, state: STATES[v] ?? String(v) })),
    );
    return {
      title: panel.title,
      width,
      height: 140,
      data: { values: bands },
      mark: { type: 'rect', strokeWidth: 0 },
      encoding: {
        x,
        x2: { field: 't2' },
        y: { field: 's', type: 'nominal', axis: { title: null } },
        color: {
          field: 'state',
          type: 'nominal',
          scale: { domain: STATES, range: ['#43a047', '#fb8c00', '#e53935'] },
          legend: { title: null },
        },
      },
    };
  }
  return {
    title: panel.title,
    width,
    height: 140,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5, clip: true },
    encoding: {
      x,
      y: { field: 'v', type: 'quantitative', axis: { title: UNITS[unit ?? ''] ?? unit } },
      color: { field: 's', type: 'nominal', legend: { title: null } },
    },
  };
}
