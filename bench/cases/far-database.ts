import type { BenchCase } from '../case.js';
import { runFarDatabase, type FarDatabaseResult } from '../measure/far-database.js';
import { freshBenchDatabase } from '../support/databases.js';
import { judge } from '../support/ratio.js';
import { figureColumns, formatCount, formatLatency, formatMs, formatPercent, renderTable } from '../support/table.js';

/** 4. nextId with the database a round trip of 60-odd ms away: an open-loop load, steady, then a 10x burst. */
export const farDatabase: BenchCase<FarDatabaseResult> = {
  name: 'farDatabase',

  run: async ({ settings, progress }) =>
    runFarDatabase(await freshBenchDatabase('far'), settings.farDatabase, progress),

  ratios(f) {
    const steady = f.phases.find((x) => x.name === 'steady')!;
    const burst = f.phases.find((x) => x.name === 'burst')!;
    return {
      farSteadyWaitShare: judge('farDatabase', 'far DB, steady load: share of calls that waited', [steady.waitShare], {
        atMost: 0,
      }),
      farSteadyP999Ms: judge('farDatabase', 'far DB, steady load: nextId p999, ms', [steady.latency.p999Ms], {
        below: 1,
      }),
      farBurstWaitShare: judge(
        'farDatabase',
        'far DB, 10x burst: share of calls that waited',
        [burst.waitShare],
        { atMost: 0.05 },
        'JuiceFS reports < 5% of calls blocked',
      ),
      farBurstP999Ms: judge('farDatabase', 'far DB, 10x burst: nextId p999, ms', [burst.latency.p999Ms], { below: 1 }),
    };
  },

  table(f, { farDatabase: s }) {
    return [
      `4. nextId with the database ${formatMs(f.rttMs)} ms away (proxy, ${s.latencyMsEachWay} ms each way), open-loop load, every 10th call timed; row step ${s.step}, dynamic step on. ${f.errors} errors, ${f.outOfOrder} out of order`,
      renderTable(
        figureColumns(
          'phase',
          'offered IDs/s',
          'achieved',
          'calls / timed',
          'p50 ms',
          'p99 ms',
          'p999 ms',
          'max ms',
          'control p99 / p999 ms',
          'waited',
          '> 1 ms',
          'reservations',
          'step',
          'shed',
          'lag max ms',
          'CPU: bench / machine',
        ),
        f.phases.map((p) => [
          `${p.name} (${Number(((p.toMs - p.fromMs) / 1000).toFixed(1))} s)`,
          formatCount(p.offeredPerSec),
          formatCount(p.achievedPerSec),
          `${formatCount(p.calls)} / ${formatCount(p.latency.calls)}`,
          formatLatency(p.latency.p50Ms),
          formatLatency(p.latency.p99Ms),
          formatLatency(p.latency.p999Ms),
          formatLatency(p.latency.maxMs),
          `${formatLatency(p.control.p99Ms)} / ${formatLatency(p.control.p999Ms)}`,
          `${formatCount(p.waits)} (${formatPercent(p.waitShare)})`,
          formatPercent(p.slowerThan1MsShare),
          String(p.reservations),
          `${formatCount(p.stepAtStart)} → ${formatCount(p.stepAtEnd)}`,
          formatCount(p.shed),
          formatLatency(p.maxScheduleLagMs),
          `${formatPercent(p.cpu.processCores).replace('%', '% of a core')} / ${formatPercent(p.cpu.machineBusy)}`,
        ]),
      ),
    ].join('\n');
  },

  json(f, settings) {
    return [
      ...f.phases.map((p) => ({
        ...p,
        key: `farDatabase.${p.name}`,
        phase: p.name,
        name: `nextId, database ${f.rttMs.toFixed(1)} ms away, ${p.name}`,
        rttMs: f.rttMs,
      })),
      {
        key: 'farDatabase.timeline',
        name: 'nextId, far database: windows and reservations over time',
        windowMs: settings.farDatabase.windowMs,
        windows: f.windows,
        reservations: f.reservations,
        errors: f.errors,
        outOfOrder: f.outOfOrder,
      },
    ];
  },
};
