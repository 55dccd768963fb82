import { skipFor } from '../store/fence-skips.js';
import type { FenceOutcome, FenceSkips } from '../store/leaf-store.js';
import type { FenceKeyReply, FenceMarkerReply } from './redis-fence-scripts.js';
import { RedisKeys, type ScriptKeys } from './redis-keys.js';
import type { ScriptName } from './redis-scripts.js';

/** Hashes fenced at once, so 100,000 tags do not queue 100,000 scripts at once. */
const BATCH = 500;

/**
 * Runs one of the store's scripts on the keys given; a script that reads the marker (`WITH_MARKER`) gets the fencing
 * switch and the marker's name in front of `args` (its `ARGV[1]` and `ARGV[2]`).
 */
export type RunScript = (name: ScriptName, keys: ScriptKeys, args: string[]) => Promise<unknown>;

/** What the fence did on one master. */
interface MasterFence {
  readonly master: string;
  readonly replid: string;
  readonly previous: string | null;
  readonly rows: number;
  readonly fenced: boolean;
}

/**
 * Fences every master (one on a single server): `SCAN`s its hashes under the prefix and runs `FENCE_KEY_LUA` on each
 * (atomic per key: concurrent fences move a hash once), then makes its marker name it (`FENCE_MARKER_LUA`). Each
 * master compares its own replication ID, so on a cluster a failover of one master fences that master's hashes only.
 */
export async function fenceMasters(
  keys: RedisKeys,
  cluster: boolean,
  run: RunScript,
  skips: FenceSkips,
  signal?: AbortSignal,
): Promise<FenceOutcome> {
  const fences: MasterFence[] = [];
  const skipArgs = [...skips.tags].flatMap(([tag, skip]) => [tag, skip.toString()]);
  for (const node of await keys.masters()) {
    const tags = await keys.scan(node, signal);
    let rows = 0;
    let movedFrom = '';
    for (let i = 0; i < tags.length; i += BATCH) {
      signal?.throwIfAborted();
      await Promise.all(
        tags.slice(i, i + BATCH).map(async (tag) => {
          const key = keys.key(tag);
          const reply = (await run('nestLeafFenceKey', await keys.forScript(key, true), [
            skipFor(skips, tag).toString(),
          ])) as FenceKeyReply;
          if (reply[0] === 'moved') {
            rows++;
            movedFrom ||= reply[2];
          }
        }),
      );
    }
    const master = RedisKeys.nameOf(node);
    const markerKeys: ScriptKeys = { keys: [keys.markerOf(master)], marker: '' };
    const marker = (await run('nestLeafFenceMarker', markerKeys, [
      movedFrom,
      skips.defaultSkip.toString(),
      ...skipArgs,
    ])) as FenceMarkerReply;
    const previous = marker[0] === 'fenced' ? marker[2] : movedFrom || null;
    // Fenced by this call when it moved a hash: a node that finds every hash moved by another (and only catches the
    // marker up) did not fence, so that concurrent nodes report, and log, one fence.
    fences.push({ master, replid: marker[1], previous, rows, fenced: rows > 0 });
  }
  return outcomeOf(fences, cluster);
}

function outcomeOf(fences: readonly MasterFence[], cluster: boolean): FenceOutcome {
  const rows = fences.reduce((sum, fence) => sum + fence.rows, 0);
  const fenced = fences.some((fence) => fence.fenced);
  if (!cluster) {
    const [only] = fences;
    return {
      fenced,
      identity: `redis replid ${only.replid}`,
      previous: only.previous === null ? null : `redis replid ${only.previous}`,
      rows,
    };
  }
  const changed = fences.filter((fence) => fence.previous !== null);
  return {
    fenced,
    identity: `redis-cluster, per master: ${fences.map((f) => `replid ${f.replid} (${f.master})`).join(', ')}`,
    previous:
      changed.length === 0
        ? null
        : `redis-cluster, per master: ${changed.map((f) => `replid ${f.previous} (${f.master})`).join(', ')}`,
    rows,
  };
}
