import type { BenchCase } from '../case.js';
import { runNodes, type NodesResult } from '../measure/nodes.js';
import { LEAF_OPTIONS } from '../settings.js';
import { freshBenchDatabase } from '../support/databases.js';
import { judge, perRound, type Ratio } from '../support/ratio.js';
import { figureColumns, formatCount, formatSpread, renderTable } from '../support/table.js';

const TAG = 'nodes';

/** 8. 1, 2 and 4 processes on one database and one tag: aggregate IDs/s, every reserved range disjoint. */
export const nodes: BenchCase<NodesResult> = {
  name: 'nodes',

  run: async ({ settings, progress }) =>
    runNodes(await freshBenchDatabase('nodes'), TAG, { bizTags: [TAG], ...LEAF_OPTIONS }, settings.nodes, progress),

  ratios(nd) {
    const ratios: Record<string, Ratio> = {};
    const one = nd.counts.find((c) => c.nodes === 1);
    for (const c of nd.counts) {
      if (c.nodes === 1 || one === undefined) continue;
      ratios[`nodes${c.nodes}VsNodes1`] = judge(
        'nodes',
        `${c.nodes} nodes / 1 node, aggregate IDs/s`,
        perRound(c.roundsIdsPerSec, one.roundsIdsPerSec),
      );
    }
    return ratios;
  },

  table(nd, { nodes: s }) {
    return [
      `8. Nodes: processes on one database and one tag (nextId loop in each), ${s.rounds} rounds x ${s.roundMs} ms, interleaved; ${nd.rangesChecked} reserved ranges checked disjoint`,
      renderTable(
        figureColumns('nodes', 'aggregate IDs/s (median)', 'rounds min – max', 'per node', 'reservations / waits'),
        nd.counts.map((c) => [
          String(c.nodes),
          formatCount(c.idsPerSec),
          formatSpread(c.roundsIdsPerSec),
          formatCount(c.idsPerSec / c.nodes),
          `${c.reservations} / ${c.waits}`,
        ]),
      ),
    ].join('\n');
  },

  json: (nd) => nd.counts.map((c) => ({ key: `nodes.${c.nodes}`, name: `${c.nodes} node(s) on one database`, ...c })),
};
