/**
 * One node of the "nodes" case: a Leaf app of its own (its own process, its own pool) on the shared
 * database, driven by the parent over IPC. Arguments: database tag leafOptionsJson.
 *
 * Messages in:  { type: 'run', startAt (Date.now() ms), durationMs }, { type: 'close' }
 * Messages out: { type: 'ready' }, { type: 'result', ... }, { type: 'error', message }
 */
import 'reflect-metadata';
import type { LeafModuleOptions } from 'nest-leaf';
import { nextIdCase, Sink } from '../cases/in-process.js';
import { startLeafApp, tagSnapshot } from '../support/leaf-app.js';
import { timeRound, warmUp } from '../support/timing.js';

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
  /** Every range this node reserved since its last report, as decimal strings [start, end). */
  readonly ranges: Array<[string, string]>;
}

const [database, tag, optionsJson] = process.argv.slice(2);
const send = (message: object) => process.send?.(message);

try {
  const leaf = await startLeafApp(database, JSON.parse(optionsJson) as LeafModuleOptions);
  const first = tagSnapshot(leaf.ids, tag).current;
  let ranges: Array<[string, string]> = first ? [[first.start.toString(), first.end.toString()]] : [];
  leaf.ids.onReservation((event) => {
    if (event.range) ranges.push([event.range.start.toString(), event.range.end.toString()]);
  });
  const c = nextIdCase(leaf.ids, tag, new Sink());
  const batch = await warmUp(c, 500);
  process.on('message', (message: NodeRunMessage | { type: 'close' }) => {
    if (message.type === 'close') {
      void leaf.close().then(() => process.disconnect());
      return;
    }
    void (async () => {
      const before = tagSnapshot(leaf.ids, tag);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, message.startAt - Date.now())));
      const round = await timeRound(c, batch, message.durationMs);
      const after = tagSnapshot(leaf.ids, tag);
      const result: NodeResultMessage = {
        type: 'result',
        idsPerSec: round.idsPerSec,
        ids: round.ids,
        reservations: after.reservations - before.reservations,
        waits: after.waits - before.waits,
        ranges,
      };
      ranges = [];
      send(result);
    })().catch((error: unknown) => send({ type: 'error', message: String(error) }));
  });
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  process.disconnect();
}
