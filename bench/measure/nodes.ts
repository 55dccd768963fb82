import { fileURLToPath } from 'node:url';
import type { LeafModuleOptions } from 'nest-leaf';
import { LeafNodeProcess } from '../../harness/node/process.js';
import type { BenchNodeConfig, NodeResultMessage, NodeRunMessage } from '../children/leaf-node.js';
import { median } from '../support/stats.js';

export interface NodesSettings {
  readonly counts: readonly number[];
  readonly roundMs: number;
  readonly rounds: number;
}

export interface NodesCount {
  readonly nodes: number;
  /** Sum over the nodes of each one's IDs/s, median over rounds. */
  readonly idsPerSec: number;
  readonly roundsIdsPerSec: number[];
  readonly reservations: number;
  readonly waits: number;
}

export interface NodesResult {
  readonly counts: NodesCount[];
  /** Ranges reserved by all nodes, checked pairwise disjoint. */
  readonly rangesChecked: number;
}

const NODE_CHILD = fileURLToPath(new URL('../children/leaf-node.js', import.meta.url));

/**
 * 1, 2 and 4 processes, each a Leaf app with its own pool, on one database and one tag: aggregate IDs/s.
 * The four processes are started once and stay up; a round with n nodes runs the first n of them at the
 * same wall-clock time while the others sleep. Counts are interleaved and their order rotates per round.
 */
export async function runNodes(
  database: string,
  tag: string,
  options: LeafModuleOptions,
  settings: NodesSettings,
  progress: (line: string) => void,
): Promise<NodesResult> {
  const max = Math.max(...settings.counts);
  progress(`nodes: starting ${max} processes`);
  // The parent's flags (--expose-gc, a --cpu-prof) carry over, so a profile of the bench covers the nodes too.
  const config: BenchNodeConfig = { database, leaf: options, tag };
  const nodes = Array.from({ length: max }, () => new LeafNodeProcess(NODE_CHILD, config));
  const ranges: Array<[bigint, bigint]> = [];
  try {
    for (const node of nodes) await node.whenReady;
    const samples = new Map(settings.counts.map((n) => [n, [] as NodeResultMessage[][]]));
    for (let round = 0; round < settings.rounds; round++) {
      const k = round % settings.counts.length;
      const order = [...settings.counts.slice(k), ...settings.counts.slice(0, k)];
      for (const n of order) {
        progress(`nodes: round ${round + 1}/${settings.rounds}, ${n} node(s) for ${settings.roundMs} ms`);
        const run: NodeRunMessage = { type: 'run', startAt: Date.now() + 100, durationMs: settings.roundMs };
        const active = nodes.slice(0, n);
        for (const node of active) node.send({ ...run });
        const results = (await Promise.all(active.map((node) => node.next()))) as unknown as NodeResultMessage[];
        for (const r of results) for (const [start, end] of r.ranges) ranges.push([BigInt(start), BigInt(end)]);
        samples.get(n)!.push(results);
      }
    }
    checkDisjoint(ranges);
    return {
      counts: settings.counts.map((n) => {
        const rounds = samples.get(n)!;
        const totals = rounds.map((results) => results.reduce((sum, r) => sum + r.idsPerSec, 0));
        return {
          nodes: n,
          idsPerSec: median(totals),
          roundsIdsPerSec: totals,
          reservations: rounds.flat().reduce((sum, r) => sum + r.reservations, 0),
          waits: rounds.flat().reduce((sum, r) => sum + r.waits, 0),
        };
      }),
      rangesChecked: ranges.length,
    };
  } finally {
    // Each node gives its unused IDs back and exits; one that hangs is killed after 15 s.
    await Promise.all(nodes.map((node) => node.stop(15_000)));
  }
}

/** No two nodes ever got the same ID: every reserved range is disjoint from every other. */
function checkDisjoint(ranges: Array<[bigint, bigint]>): void {
  const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i][0] < sorted[i - 1][1]) {
      throw new Error(
        `nodes: ranges [${sorted[i - 1][0]}, ${sorted[i - 1][1]}) and [${sorted[i][0]}, ${sorted[i][1]}) overlap`,
      );
    }
  }
}
