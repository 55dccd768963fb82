/**
 * One node of the kill test (test/reliability/cluster-kill.e2e-spec.ts): issues IDs from many concurrent loops until
 * SIGTERM (graceful) or SIGKILL. The app, the lifeline and the shutdown are harness/node/host.ts's; built by
 * tsconfig.node.json (cluster.ts's buildNodeScript) and run from dist/, since a child process is not Jest's.
 *
 * Every reservation and every issued ID is written to the record file with writeSync before the ID is used,
 * so a SIGKILL loses at most a partly written last line. Lines (tags are indexes into `bizTags`):
 *   R <tag> <start> <end> <epoch ms>   a reserved range [start, end), and when this node heard of it
 *   I <tag> <id> [<id> ...]            IDs one call returned, in the order they were issued
 *   F <tag> <epoch ms>                 a failed reservation (one that timed out may still have taken IDs)
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { LeafUnavailableError, type IdGenerator, type LeafModuleOptions } from 'nest-leaf';
import { hostLeafNode, type LeafNodeConfig } from '../../harness/node/host.js';

/** What a kill-test node reads from LEAF_NODE. */
export interface KillNodeConfig extends LeafNodeConfig {
  readonly leaf: Omit<LeafModuleOptions, 'bizTags'> & { readonly bizTags: string[] };
  readonly record: string;
  readonly loopsPerTag: number;
  readonly maxBatch: number;
}

// Sub-millisecond, so two ranges reserved in the same millisecond by different nodes still have an order.
const now = () => (performance.timeOrigin + performance.now()).toFixed(3);

await hostLeafNode<KillNodeConfig>((config) => {
  const tags = config.leaf.bizTags;
  const tagIndex = new Map(tags.map((tag, index) => [tag, index]));
  const fd = openSync(config.record, 'w');
  const record = (line: string) => writeSync(fd, line);
  let running = true;
  let loops: Promise<void>[] = [];

  /** Mostly single IDs, every third call a small batch, with short random pauses so other loops interleave. */
  async function issue(ids: IdGenerator, tag: string, loop: number): Promise<void> {
    const index = tagIndex.get(tag);
    for (let call = loop; running; call++) {
      let issued: bigint[];
      try {
        issued = call % 3 === 0 ? await ids.nextIds(tag, 2 + (call % (config.maxBatch - 1))) : [await ids.nextId(tag)];
      } catch (error) {
        // Calls waiting when the generator closes are refused; anything else is a failure of the library.
        if (!running && error instanceof LeafUnavailableError) return;
        throw error;
      }
      record(`I ${index} ${issued.join(' ')}\n`);
      const pause = Math.random();
      if (pause < 0.1) await new Promise((resolve) => setImmediate(resolve));
      else await sleep(Math.ceil(pause * 16));
    }
  }

  return {
    onReservation(event) {
      if (event.ok) record(`R ${tagIndex.get(event.tag)} ${event.range!.start} ${event.range!.end} ${now()}\n`);
      else record(`F ${tagIndex.get(event.tag)} ${now()}\n`);
    },
    start({ ids }) {
      // A loop that fails is an unhandled rejection, which crashes the node: the parent reports an exit it did not ask for.
      loops = tags.flatMap((tag) => Array.from({ length: config.loopsPerTag }, (_, loop) => issue(ids, tag, loop)));
    },
    // Closing while the loops still call is deliberate: IDs issued during shutdown must not be given back.
    beforeClose() {
      running = false;
    },
    async afterClose() {
      await Promise.all(loops);
      closeSync(fd);
    },
  };
});
