import type { FarDatabaseResult } from '../cases/far-database.js';
import type { HttpResult } from '../cases/http.js';
import type { NodesResult } from '../cases/nodes.js';
import type { Goal, Ratio } from './ratio.js';
import type { Machine } from './machine.js';

/**
 * The bench's figure, as a hand-written SVG (no dependency): every goal as headroom over its threshold, the
 * far-database run over time (load, step, latency, waits), and the HTTP and multi-node throughputs.
 */
export interface ChartInput {
  readonly ratios: Record<string, Ratio>;
  readonly far?: FarDatabaseResult;
  readonly http?: HttpResult;
  readonly nodes?: NodesResult;
  readonly machine: Machine;
  readonly quick: boolean;
}

const WIDTH = 1000;
const MARGIN = 24;
const COLORS = {
  met: '#2e7d32',
  missed: '#c62828',
  axis: '#9e9e9e',
  grid: '#eeeeee',
  text: '#212121',
  muted: '#616161',
  step: '#1565c0',
  load: '#ffb74d',
  achieved: '#ef6c00',
  p99: '#6a1b9a',
  max: '#ce93d8',
  wait: '#c62828',
  bar: '#546e7a',
  barAlt: '#90a4ae',
};
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(1)).toString() : '0');

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${n(x)}" y="${n(y)}" ${attrs}>${esc(content)}</text>`;
}

function line(x1: number, y1: number, x2: number, y2: number, stroke: string, attrs = ''): string {
  return `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" stroke="${stroke}" ${attrs}/>`;
}

function compact(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e3) return `${Number((v / 1e3).toPrecision(3))}k`;
  return Number(v.toPrecision(3)).toString();
}

function goalLabel(goal: Goal): string {
  if (goal.atLeast !== undefined) return `≥ ${goal.atLeast}`;
  if (goal.atMost !== undefined) return `≤ ${goal.atMost}`;
  return `< ${goal.below}`;
}

/** How many times better than its threshold a value is: > 1 met, < 1 missed. Infinity for a perfect 0. */
function headroom(value: number, goal: Goal): number {
  if (goal.atLeast !== undefined) return value / goal.atLeast;
  const limit = goal.atMost ?? goal.below ?? 0;
  if (value === 0) return Number.POSITIVE_INFINITY;
  if (limit === 0) return 0;
  return limit / value;
}

function goalsPanel(top: number, ratios: Ratio[]): { svg: string; height: number } {
  const rows = ratios.filter((r) => r.goal);
  const rowH = 24;
  const labelW = 400;
  const x0 = MARGIN + labelW;
  const x1 = WIDTH - MARGIN - 190;
  const min = 0.1;
  const max = 100;
  const x = (h: number) => x0 + ((Math.log10(Math.min(max, Math.max(min, h))) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * (x1 - x0);
  const out: string[] = [
    text(MARGIN, top + 16, 'Goals: how far each result is from its threshold (value ÷ goal, or goal ÷ value for upper limits; log scale)', `font-size="15" font-weight="600" fill="${COLORS.text}"`),
  ];
  const plotTop = top + 32;
  const plotBottom = plotTop + rows.length * rowH;
  for (const tick of [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]) {
    out.push(line(x(tick), plotTop, x(tick), plotBottom, tick === 1 ? COLORS.text : COLORS.grid, tick === 1 ? 'stroke-width="1.5"' : ''));
    out.push(text(x(tick), plotBottom + 14, `${tick}×`, `font-size="11" fill="${COLORS.muted}" text-anchor="middle"`));
  }
  out.push(text(x(1) + 4, plotBottom + 28, '← missed   goal   met →', `font-size="11" fill="${COLORS.muted}" text-anchor="middle"`));
  rows.forEach((r, i) => {
    const goal = r.goal!;
    const y = plotTop + i * rowH + rowH / 2;
    const h = headroom(r.value, goal);
    const color = goal.met ? COLORS.met : COLORS.missed;
    if (i % 2 === 0) out.push(`<rect x="${MARGIN}" y="${n(y - rowH / 2)}" width="${WIDTH - 2 * MARGIN}" height="${rowH}" fill="#fafafa"/>`);
    out.push(text(MARGIN + 4, y + 4, r.name, `font-size="12" fill="${COLORS.text}"`));
    const xe = Number.isFinite(h) ? x(h) : x1;
    out.push(`<rect x="${n(Math.min(x(1), xe))}" y="${n(y - 6)}" width="${n(Math.max(2, Math.abs(xe - x(1))))}" height="12" fill="${color}" opacity="0.85"/>`);
    if (!Number.isFinite(h)) out.push(text(x1 - 4, y + 4, '0 ✓', `font-size="11" fill="#ffffff" text-anchor="end"`));
    const value = r.value < 0.01 && r.value > 0 ? r.value.toExponential(1) : compact(r.value);
    out.push(
      text(x1 + 10, y + 4, `${value} (goal ${goalLabel(goal)}) ${goal.met ? 'met' : 'MISSED'}`, `font-size="12" fill="${color}" font-weight="${goal.met ? 400 : 700}"`),
    );
  });
  return { svg: out.join('\n'), height: plotBottom + 36 - top };
}

function farPanel(top: number, far: FarDatabaseResult): { svg: string; height: number } {
  const out: string[] = [];
  const left = MARGIN + 70;
  const right = WIDTH - MARGIN - 70;
  const endMs = far.phases[far.phases.length - 1].toMs;
  const x = (ms: number) => left + (Math.max(0, Math.min(endMs, ms)) / endMs) * (right - left);
  const steady = far.phases.find((p) => p.name === 'steady');
  const burst = far.phases.find((p) => p.name === 'burst');
  out.push(
    text(
      MARGIN,
      top + 16,
      `Far database (${far.rttMs.toFixed(1)} ms round trip through the proxy): open-loop nextId load, dynamic step`,
      `font-size="15" font-weight="600" fill="${COLORS.text}"`,
    ),
  );

  // (a) load and step
  const aTop = top + 44;
  const aH = 190;
  const aBottom = aTop + aH;
  const rateTick = niceStep(Math.max(...far.phases.map((p) => p.offeredPerSec)) / 4);
  const maxRate = Math.ceil((Math.max(...far.phases.map((p) => p.offeredPerSec), ...far.windows.map((w) => w.achievedPerSec)) * 1.05) / rateTick) * rateTick;
  const yRate = (r: number) => aBottom - (r / maxRate) * aH;
  const steps = [far.phases[0].stepAtStart, ...far.windows.map((w) => w.step), ...far.reservations.map((r) => r.step)].filter(
    (s) => s > 0,
  );
  const minStep = 10 ** Math.floor(Math.log10(Math.min(...steps)));
  const maxStep = 10 ** Math.ceil(Math.log10(Math.max(...steps) * 1.01));
  const yStep = (s: number) => aBottom - ((Math.log10(s) - Math.log10(minStep)) / (Math.log10(maxStep) - Math.log10(minStep))) * aH;

  const phaseLines = (y0: number, y1: number, labels: boolean) => {
    far.phases.forEach((p, i) => {
      out.push(line(x(p.fromMs), y0, x(p.fromMs), y1, COLORS.axis, 'stroke-dasharray="4 3"'));
      if (labels) {
        // Staggered, since the warm-up is narrow.
        const label = `${p.name}, ${compact(p.offeredPerSec)} IDs/s`;
        out.push(text(x(p.fromMs) + 4, y0 + 12 + (i % 2) * 14, label, `font-size="11" fill="${COLORS.muted}"`));
      }
    });
  };
  out.push(`<rect x="${left}" y="${aTop}" width="${right - left}" height="${aH}" fill="none" stroke="${COLORS.axis}"/>`);
  for (let s = minStep; s <= maxStep; s *= 10) {
    out.push(line(left, yStep(s), right, yStep(s), COLORS.grid));
    out.push(text(left - 6, yStep(s) + 4, compact(s), `font-size="11" fill="${COLORS.step}" text-anchor="end"`));
  }
  for (let r = 0; r <= maxRate; r += rateTick) {
    out.push(text(right + 6, yRate(r) + 4, compact(r), `font-size="11" fill="${COLORS.achieved}"`));
  }
  out.push(text(left, aTop - 6, 'step (log scale)', `font-size="11" fill="${COLORS.step}"`));
  out.push(text(right, aTop - 6, 'IDs/s', `font-size="11" fill="${COLORS.achieved}" text-anchor="end"`));
  // Offered load as a shaded area, achieved as a line.
  const offered = far.phases.map((p) => `L${n(x(p.fromMs))},${n(yRate(p.offeredPerSec))} L${n(x(p.toMs))},${n(yRate(p.offeredPerSec))}`);
  out.push(`<path d="M${n(x(0))},${n(aBottom)} ${offered.join(' ')} L${n(x(endMs))},${n(aBottom)} Z" fill="${COLORS.load}" opacity="0.25"/>`);
  const achieved = far.windows.map((w, i) => `${i === 0 ? 'M' : 'L'}${n(x(w.t))},${n(yRate(w.achievedPerSec))}`);
  out.push(`<path d="${achieved.join(' ')}" fill="none" stroke="${COLORS.achieved}" stroke-width="1.2"/>`);
  // The step in use, as a staircase, from its value at the start and at the end of every window.
  const first = far.phases[0].stepAtStart;
  const stair: string[] = [`M${n(x(0))},${n(yStep(first))}`];
  for (const w of far.windows) stair.push(`H${n(x(w.t + 0))}`, `V${n(yStep(w.step))}`);
  stair.push(`H${n(x(endMs))}`);
  out.push(`<path d="${stair.join(' ')}" fill="none" stroke="${COLORS.step}" stroke-width="2"/>`);
  // Every reservation: where it landed, and the step it asked for.
  for (const r of far.reservations) {
    if (r.t < 0) continue;
    const color = r.trigger === 'on-demand' ? COLORS.wait : COLORS.step;
    out.push(`<circle cx="${n(x(r.t))}" cy="${n(yStep(r.step))}" r="3.5" fill="${r.ok ? color : '#ffffff'}" stroke="${color}"/>`);
  }
  phaseLines(aTop, aBottom, true);
  const legendY = aBottom + 18;
  out.push(
    line(left, legendY - 4, left + 20, legendY - 4, COLORS.step, 'stroke-width="2"'),
    text(left + 26, legendY, 'step of the segment in use', `font-size="11" fill="${COLORS.text}"`),
    `<circle cx="${left + 200}" cy="${legendY - 4}" r="3.5" fill="${COLORS.step}"/>`,
    text(left + 208, legendY, 'reservation (prefetch)', `font-size="11" fill="${COLORS.text}"`),
    `<circle cx="${left + 350}" cy="${legendY - 4}" r="3.5" fill="${COLORS.wait}"/>`,
    text(left + 358, legendY, 'reservation a caller waited for', `font-size="11" fill="${COLORS.text}"`),
    `<rect x="${left + 540}" y="${legendY - 10}" width="20" height="10" fill="${COLORS.load}" opacity="0.35"/>`,
    text(left + 566, legendY, 'offered load', `font-size="11" fill="${COLORS.text}"`),
    line(left + 650, legendY - 4, left + 670, legendY - 4, COLORS.achieved, 'stroke-width="1.2"'),
    text(left + 676, legendY, 'IDs issued/s', `font-size="11" fill="${COLORS.text}"`),
  );

  // (b) latency per window
  const bTop = legendY + 34;
  const bH = 170;
  const bBottom = bTop + bH;
  const lo = 0.001;
  const hi = 1000;
  const yLat = (ms: number) => bBottom - ((Math.log10(Math.min(hi, Math.max(lo, ms))) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * bH;
  out.push(`<rect x="${left}" y="${bTop}" width="${right - left}" height="${bH}" fill="none" stroke="${COLORS.axis}"/>`);
  for (const ms of [0.001, 0.01, 0.1, 1, 10, 100, 1000]) {
    out.push(line(left, yLat(ms), right, yLat(ms), ms === 1 ? COLORS.missed : COLORS.grid, ms === 1 ? 'stroke-dasharray="6 3"' : ''));
    const label = ms < 1 ? `${n(ms * 1000)} µs` : `${ms} ms`;
    out.push(text(left - 6, yLat(ms) + 4, label, `font-size="11" fill="${COLORS.muted}" text-anchor="end"`));
  }
  out.push(text(right - 4, yLat(1) - 4, 'goal: p999 < 1 ms', `font-size="11" fill="${COLORS.missed}" text-anchor="end"`));
  out.push(line(left, yLat(far.rttMs), right, yLat(far.rttMs), COLORS.axis, 'stroke-dasharray="2 3"'));
  out.push(text(right - 4, yLat(far.rttMs) - 4, `one round trip, ${far.rttMs.toFixed(0)} ms`, `font-size="11" fill="${COLORS.muted}" text-anchor="end"`));
  const series = (pick: (w: FarDatabaseResult['windows'][number]) => number, color: string, width: number) => {
    const d = far.windows
      .filter((w) => Number.isFinite(pick(w)))
      .map((w, i) => `${i === 0 ? 'M' : 'L'}${n(x(w.t))},${n(yLat(pick(w)))}`)
      .join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${width}"/>`);
  };
  series((w) => w.maxMs, COLORS.max, 1.2);
  series((w) => w.p99Ms, COLORS.p99, 1.8);
  for (const w of far.windows) {
    if (w.waits > 0) {
      out.push(`<rect x="${n(x(w.t))}" y="${n(bTop)}" width="${n(Math.max(2, x(w.t + 250) - x(w.t)))}" height="6" fill="${COLORS.wait}"/>`);
    }
  }
  phaseLines(bTop, bBottom, false);
  out.push(text(left, bTop - 6, 'nextId latency (log scale)', `font-size="11" fill="${COLORS.p99}"`));
  const tickEvery = endMs > 10_000 ? 5 : 1;
  for (let s = 0; s * 1000 <= endMs; s += tickEvery) {
    out.push(text(x(s * 1000), bBottom + 16, `${s} s`, `font-size="11" fill="${COLORS.muted}" text-anchor="middle"`));
  }
  out.push(text((left + right) / 2, bBottom + 30, 'time since the load began', `font-size="11" fill="${COLORS.muted}" text-anchor="middle"`));
  const legend2 = bBottom + 48;
  const summary = (p: FarDatabaseResult['phases'][number] | undefined) =>
    p ? `${p.name}: p999 ${p.latency.p999Ms.toFixed(3)} ms, ${p.waits} waits` : '';
  out.push(
    line(left, legend2 - 4, left + 20, legend2 - 4, COLORS.p99, 'stroke-width="1.8"'),
    text(left + 26, legend2, 'p99 per 250 ms window', `font-size="11" fill="${COLORS.text}"`),
    line(left + 180, legend2 - 4, left + 200, legend2 - 4, COLORS.max, 'stroke-width="1.2"'),
    text(left + 206, legend2, 'max', `font-size="11" fill="${COLORS.text}"`),
    `<rect x="${left + 250}" y="${legend2 - 9}" width="14" height="6" fill="${COLORS.wait}"/>`,
    text(left + 270, legend2, 'a window with waits', `font-size="11" fill="${COLORS.text}"`),
    text(right, legend2, `${summary(steady)} · ${summary(burst)}`, `font-size="11" fill="${COLORS.text}" text-anchor="end"`),
  );
  // (c) the cold start, zoomed: the step of each reservation while the step grows to its maximum.
  const cTop = legend2 + 34;
  const cH = 110;
  const cBottom = cTop + cH;
  // Up to half again past the last window of the warm-up in which callers waited (or, without waits, past
  // the warm-up's last reservation): the span in which the step caught up with the load.
  const growing = far.reservations.filter((r) => r.t >= 0);
  const warmupEnd = far.phases[0].toMs;
  const waitIndex = far.windows.findLastIndex((w) => w.t < warmupEnd && w.waits > 0);
  const settledAt =
    waitIndex >= 0
      ? (far.windows[waitIndex + 1]?.t ?? warmupEnd)
      : (growing.filter((r) => r.t <= warmupEnd).at(-1)?.t ?? warmupEnd);
  const zoomMs = Math.max(200, Math.min(warmupEnd, settledAt * 1.5));
  const xc = (ms: number) => left + (Math.max(0, Math.min(zoomMs, ms)) / zoomMs) * (right - left);
  const yc = (st: number) => cBottom - ((Math.log10(st) - Math.log10(minStep)) / (Math.log10(maxStep) - Math.log10(minStep))) * cH;
  out.push(
    text(left, cTop - 6, `Cold start, zoomed: the step of every reservation in the first ${Math.round(zoomMs)} ms (log scale)`, `font-size="11" fill="${COLORS.step}"`),
    `<rect x="${left}" y="${cTop}" width="${right - left}" height="${cH}" fill="none" stroke="${COLORS.axis}"/>`,
  );
  for (let st = minStep; st <= maxStep; st *= 10) {
    out.push(line(left, yc(st), right, yc(st), COLORS.grid));
    out.push(text(left - 6, yc(st) + 4, compact(st), `font-size="11" fill="${COLORS.step}" text-anchor="end"`));
  }
  const zoomed = growing.filter((r) => r.t <= zoomMs);
  const stairC = [`M${n(xc(0))},${n(yc(far.phases[0].stepAtStart))}`];
  for (const r of zoomed) stairC.push(`H${n(xc(r.t))}`, `V${n(yc(r.step))}`);
  stairC.push(`H${n(xc(zoomMs))}`);
  out.push(`<path d="${stairC.join(' ')}" fill="none" stroke="${COLORS.step}" stroke-width="1.5" stroke-dasharray="3 2"/>`);
  for (const r of zoomed) {
    const color = r.trigger === 'on-demand' ? COLORS.wait : COLORS.step;
    out.push(`<circle cx="${n(xc(r.t))}" cy="${n(yc(r.step))}" r="3.5" fill="${color}"/>`);
    out.push(text(xc(r.t) + 5, yc(r.step) - 5, compact(r.step), `font-size="10" fill="${COLORS.muted}"`));
  }
  const tickMs = niceStep(zoomMs / 5);
  for (let ms = 0; ms <= zoomMs; ms += tickMs) {
    out.push(text(xc(ms), cBottom + 14, `${ms} ms`, `font-size="11" fill="${COLORS.muted}" text-anchor="middle"`));
  }
  const warm = far.phases[0];
  out.push(
    text(
      right,
      cBottom + 30,
      `warm-up: ${warm.waits.toLocaleString('en-US')} calls (${(100 * warm.waitShare).toFixed(1)}%) waited while the step grew from ${compact(warm.stepAtStart)} to ${compact(warm.stepAtEnd)}; dashed: step asked for, dot: reservation landed`,
      `font-size="11" fill="${COLORS.text}" text-anchor="end"`,
    ),
  );
  return { svg: out.join('\n'), height: cBottom + 40 - top };
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function barsPanel(
  top: number,
  x0: number,
  width: number,
  title: string,
  bars: { label: string; value: number; note?: string }[],
  unit: string,
): string {
  const out: string[] = [text(x0, top + 16, title, `font-size="15" font-weight="600" fill="${COLORS.text}"`)];
  const labelW = 130;
  const barMax = width - labelW - 170;
  const max = Math.max(...bars.map((b) => b.value));
  bars.forEach((b, i) => {
    const y = top + 34 + i * 28;
    out.push(text(x0, y + 13, b.label, `font-size="12" fill="${COLORS.text}"`));
    const w = max > 0 ? (b.value / max) * barMax : 0;
    out.push(`<rect x="${x0 + labelW}" y="${y}" width="${n(w)}" height="18" fill="${i % 2 === 0 ? COLORS.bar : COLORS.barAlt}"/>`);
    out.push(text(x0 + labelW + w + 6, y + 13, `${compact(b.value)} ${unit}${b.note ? ` ${b.note}` : ''}`, `font-size="12" fill="${COLORS.text}"`));
  });
  return out.join('\n');
}

export function renderChart(input: ChartInput): string {
  const { machine } = input;
  const parts: string[] = [];
  let y = MARGIN;
  parts.push(
    text(MARGIN, y + 14, `nest-leaf benchmarks${input.quick ? ' (quick smoke run: figures are noise)' : ''}`, `font-size="20" font-weight="700" fill="${COLORS.text}"`),
    text(
      MARGIN,
      y + 34,
      `${machine.date.slice(0, 10)} · ${machine.cores} × ${machine.cpuModel} · ${machine.memory} · node ${machine.node} · MariaDB ${machine.mariadb} · ${machine.os}`,
      `font-size="12" fill="${COLORS.muted}"`,
    ),
  );
  y += 52;
  const ratios = Object.values(input.ratios);
  if (ratios.some((r) => r.goal)) {
    const panel = goalsPanel(y, ratios);
    parts.push(panel.svg);
    y += panel.height + 16;
  }
  if (input.far) {
    const panel = farPanel(y, input.far);
    parts.push(panel.svg);
    y += panel.height + 20;
  }
  const small: string[] = [];
  const half = (WIDTH - 2 * MARGIN - 40) / 2;
  if (input.http) {
    const h = input.http.routes;
    const ratio = input.ratios.httpIdsVsEmpty?.value;
    small.push(
      barsPanel(y, MARGIN, half, 'HTTP: the demo app, 64 connections', [
        { label: 'GET /ids/order', value: h.ids.requestsPerSec, note: ratio === undefined ? '' : `(${ratio.toFixed(2)}× empty)` },
        { label: 'empty route', value: h.empty.requestsPerSec },
      ], 'req/s'),
    );
  }
  if (input.nodes) {
    const one = input.nodes.counts.find((c) => c.nodes === 1)?.idsPerSec ?? Number.NaN;
    small.push(
      barsPanel(
        y,
        input.http ? MARGIN + half + 40 : MARGIN,
        half,
        `Nodes on one database (${machine.cores} cores)`,
        input.nodes.counts.map((c) => {
          const ratio = input.ratios[`nodes${c.nodes}VsNodes1`]?.value ?? c.idsPerSec / one;
          return {
            label: `${c.nodes} process${c.nodes > 1 ? 'es' : ''}`,
            value: c.idsPerSec,
            note: c.nodes > 1 ? `(${ratio.toFixed(2)}× 1 node)` : '',
          };
        }),
        'IDs/s',
      ),
    );
  }
  if (small.length > 0) {
    parts.push(...small);
    y += 34 + 4 * 28 + 8;
  }
  const height = Math.ceil(y + MARGIN);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT}>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
