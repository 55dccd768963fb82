/**
 * One node of the "nodes" case: a Leaf app of its own (its own process, its own pool) on the shared database,
 * hosted by harness/node/host.ts and driven by the parent (measure/nodes.ts) over IPC.
 *
 * Messages in:  { type: 'run', startAt (Date.now() ms), durationMs }, { type: 'close' }
 * Messages out: { type: 'ready' }, { type: 'result', ... }, { type: 'error', message }
 */
import { tagSnapshot } from '../../harness/leaf-app.js';
import { hostLeafNode, type LeafNodeConfig } from '../../harness/node/host.js';
import { nextIdCase, Sink } from '../measure/in-process.js';
import { timeRound, warmUp, type ThroughputCase } from '../support/timing.js';

export interface BenchNodeConfig extends LeafNodeConfig {
  /** The tag every node issues IDs of. */
  readonly tag: string;
}

export interface NodeRunMessage {
  readonly type: 'run';
  readonly startAt: number;
  readonly durationMs: number;
}

export interface NodeResultMessage {
  readonly type: 'result';
  readonly idsPerSec: number;
  readonly ids: number;
  readonly reservations: number;
  readonly waits: number;
  /** Every range this node reserved since its last report (its startup one first), as decimal strings [start, end). */
  readonly ranges: Array<[string, string]>;
}

await hostLeafNode<BenchNodeConfig>(({ tag }) => {
  let ranges: Array<[string, string]> = [];
  let c: ThroughputCase;
  let batch: number;
  return {
    onReservation(event) {
      if (event.range) ranges.push([event.range.start.toString(), event.range.end.toString()]);
    },
    async start({ ids }) {
      c = nextIdCase(ids, tag, new Sink());
      batch = await warmUp(c, 500);
    },
    async onMessage(message, { ids, send }) {
      const { startAt, durationMs } = message as unknown as NodeRunMessage;
      const before = tagSnapshot(ids, tag);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
      const round = await timeRound(c, batch, durationMs);
      const after = tagSnapshot(ids, tag);
      const result: NodeResultMessage = {
        type: 'result',
        idsPerSec: round.idsPerSec,
        ids: round.ids,
        reservations: after.reservations - before.reservations,
        waits: after.waits - before.waits,
        ranges,
      };
      ranges = [];
      send({ ...result });
    },
  };
});
