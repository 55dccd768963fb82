import type { BenchCase } from '../case.js';
import { runDbLoad, type DbLoadResult } from '../measure/db-load.js';
import { freshBenchDatabase } from '../support/databases.js';
import { judge, type Ratio } from '../support/ratio.js';
import { figureColumns, formatCount, renderTable } from '../support/table.js';

/** 5. How often the database is touched to issue a million IDs, with the dynamic step and without. */
export const dbLoad: BenchCase<DbLoadResult[]> = {
  name: 'dbLoad',

  async run({ settings, progress }) {
    progress(`database load: ${formatCount(settings.dbLoad.ids)} IDs, step ${settings.dbLoad.step}, dynamic and fixed`);
    return runDbLoad(await freshBenchDatabase('load'), settings.dbLoad);
  },

  ratios(rs) {
    const ratios: Record<string, Ratio> = {};
    for (const r of rs) {
      ratios[r.dynamicStep ? 'dbLoadDynamicStep' : 'dbLoadFixedStep'] = judge(
        'dbLoad',
        `reservations per ${formatCount(r.ids)} IDs / ceil(${formatCount(r.ids)} / ${r.step}), ${r.dynamicStep ? 'dynamic' : 'fixed'} step`,
        [r.ratio],
      );
    }
    return ratios;
  },

  table(rs) {
    return [
      '5. Database load: reservations to issue the IDs on a fresh tag (startup reservation included), nextId flat out',
      renderTable(
        figureColumns(
          'step',
          'IDs',
          'reservations',
          'ceil(IDs / step)',
          'ratio',
          'startup / prefetch / on-demand',
          'waits',
          'step at end',
        ),
        rs.map((r) => [
          `${r.dynamicStep ? 'dynamic' : 'fixed'}, row step ${r.step}`,
          formatCount(r.ids),
          formatCount(r.reservations),
          formatCount(r.fixedStepReservations),
          r.ratio.toFixed(3),
          `${r.byTrigger.startup} / ${r.byTrigger.prefetch} / ${r.byTrigger['on-demand']}`,
          formatCount(r.waits),
          formatCount(r.stepAtEnd),
        ]),
      ),
    ].join('\n');
  },

  json: (rs) =>
    rs.map((r) => ({
      key: `dbLoad.${r.dynamicStep ? 'dynamic' : 'fixed'}`,
      name: `reservations per ${r.ids} IDs`,
      ...r,
    })),
};
