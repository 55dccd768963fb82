import { existsSync, readFileSync } from 'node:fs';
import type { Incarnation } from './cluster.js';

/** A range `[start, end)` one incarnation reserved, and when it heard of it (epoch ms). */
interface Range {
  readonly start: number;
  readonly end: number;
  readonly at: number;
  readonly owner: IncarnationLog;
}

/** What one incarnation recorded for one tag, and what the accounting makes of it. */
interface TagLog {
  readonly ranges: Range[];
  /** In the order they were issued. */
  readonly ids: number[];
  givenBack: number;
  /** The range it was reserving when killed, which it never heard of: a hole in the table. */
  lostInFlight: number;
  failedReservations: number;
}

interface IncarnationLog {
  readonly node: Incarnation;
  readonly tags: TagLog[];
}

export interface TagAccount {
  readonly tag: string;
  readonly issued: number;
  readonly reservations: number;
  /** Distinct IDs issued more than once (the first few). */
  readonly duplicates: number[];
  /** Reservations lost in flight by a kill (holes in the table, each attributed to a kill). */
  readonly lostInFlight: number;
  /** IDs handed back to the table by graceful stops. */
  readonly givenBack: number;
  /** Reservations that failed (none expected): one that timed out after the UPDATE committed leaves a hole. */
  readonly failedReservations: number;
  /** Per killed incarnation: reserved (including a range lost in flight) − recorded as issued. */
  readonly killGaps: IncarnationGap[];
  /** Per gracefully stopped incarnation: reserved − issued − given back. */
  readonly stopGaps: IncarnationGap[];
}

export interface IncarnationGap {
  readonly node: number;
  readonly gap: number;
  /** IDs the incarnation recorded as issued, since it heard of its first range (epoch ms; NaN if none). */
  readonly issued: number;
  readonly servingSince: number;
  /** The sizes of its last two ranges: the most a dual buffer holds, apart from a reservation lost in flight. */
  readonly lastTwoRanges: number;
  readonly lostInFlight: number;
}

export interface Accounting {
  readonly tags: TagAccount[];
  /** Every broken property, described; empty when all hold. */
  readonly problems: string[];
}

/**
 * How close (ms) a kill must be to the time a lost range was reserved: the range was committed between its
 * neighbours in the table, and the kill landed before the node heard of it.
 */
const ATTRIBUTION_SLACK_MS = 1000;

/**
 * Reads every incarnation's record and checks, per tag: IDs strictly increasing per incarnation, each inside a
 * range its own incarnation reserved, none issued twice, none at or above the final `max_id`; ranges overlap
 * only where a gracefully stopped node gave its untouched tail back; every hole in the table is one range
 * lost in flight by a killed node. Gaps are counted per incarnation for the caller to bound.
 * `step` is the fixed segment size, or null where sizes vary (a dynamic step, a runway): a hole is then one
 * reservation lost in flight, whatever its size.
 */
export function account(
  incarnations: readonly Incarnation[],
  tags: readonly string[],
  step: number | null,
  finalMaxIds: ReadonlyMap<string, number>,
): Accounting {
  const problems: string[] = [];
  const logs = incarnations.map((node) => readRecord(node, tags.length, problems));
  const result = tags.map((tag, index) => {
    const finalMaxId = finalMaxIds.get(tag)!;
    const own = logs.map((log) => log.tags[index]);
    for (const log of logs) checkIncarnation(log, tag, index, problems);
    const ranges = own.flatMap((t) => t.ranges).sort((a, b) => a.start - b.start || a.at - b.at);
    checkGiveBacks(ranges, index, tag, finalMaxId, problems);
    attributeHoles(ranges, logs, index, tag, step, finalMaxId, problems);

    const all = new Float64Array(own.reduce((n, t) => n + t.ids.length, 0));
    let filled = 0;
    for (const t of own) {
      all.set(t.ids, filled);
      filled += t.ids.length;
    }
    all.sort();
    const duplicates: number[] = [];
    for (let i = 1; i < all.length; i++)
      if (all[i] === all[i - 1] && all[i] !== duplicates.at(-1)) duplicates.push(all[i]);
    if (all.length > 0 && all[all.length - 1] >= finalMaxId) {
      problems.push(
        `${tag}: ID ${all[all.length - 1]} was issued but max_id ended at ${finalMaxId}: the next node would issue it again`,
      );
    }

    const gap = (log: IncarnationLog) => {
      const t = log.tags[index];
      return {
        node: log.node.id,
        gap: sumRanges(t.ranges) - t.ids.length - t.givenBack + t.lostInFlight,
        issued: t.ids.length,
        servingSince: t.ranges[0]?.at ?? NaN,
        lastTwoRanges: sumRanges(t.ranges.slice(-2)),
        lostInFlight: t.lostInFlight,
      };
    };
    return {
      tag,
      issued: all.length,
      reservations: ranges.length,
      duplicates: duplicates.slice(0, 5),
      lostInFlight: own.filter((t) => t.lostInFlight > 0).length,
      givenBack: own.reduce((n, t) => n + t.givenBack, 0),
      failedReservations: own.reduce((n, t) => n + t.failedReservations, 0),
      killGaps: logs.filter((log) => log.node.fate === 'killed').map(gap),
      stopGaps: logs.filter((log) => log.node.fate === 'stopped').map(gap),
    };
  });
  return { tags: result, problems };
}

function readRecord(node: Incarnation, tagCount: number, problems: string[]): IncarnationLog {
  const log: IncarnationLog = {
    node,
    tags: Array.from({ length: tagCount }, () => ({
      ranges: [],
      ids: [],
      givenBack: 0,
      lostInFlight: 0,
      failedReservations: 0,
    })),
  };
  const text = existsSync(node.record) ? readFileSync(node.record, 'utf8') : '';
  // A line cut short by SIGKILL was never fully reported: its IDs count as part of the gap.
  for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
    if (line === '') continue;
    const [kind, tag, ...fields] = line.split(' ');
    const values = fields.map(Number);
    const target = log.tags[Number(tag)];
    if (kind === 'R' && target !== undefined && values.length === 3 && values.every(Number.isFinite)) {
      target.ranges.push({ start: values[0], end: values[1], at: values[2], owner: log });
    } else if (kind === 'I' && target !== undefined && values.length > 0 && values.every(Number.isSafeInteger)) {
      for (const id of values) target.ids.push(id);
    } else if (kind === 'F' && target !== undefined && values.length === 1) {
      target.failedReservations++;
    } else {
      problems.push(`node #${node.id}: unreadable record line "${line.slice(0, 80)}"`);
    }
  }
  return log;
}

/** Strictly increasing IDs, each in a range this incarnation reserved; its ranges increasing too. */
function checkIncarnation(log: IncarnationLog, tag: string, index: number, problems: string[]): void {
  const { ranges, ids } = log.tags[index];
  const who = `${tag}, node #${log.node.id}`;
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i].start < ranges[i - 1].end)
      problems.push(
        `${who}: reserved [${ranges[i].start}, ${ranges[i].end}) after [${ranges[i - 1].start}, ${ranges[i - 1].end})`,
      );
  }
  let r = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (i > 0 && id <= ids[i - 1]) {
      problems.push(`${who}: issued ${id} after ${ids[i - 1]}`);
      return;
    }
    while (r < ranges.length && ranges[r].end <= id) r++;
    if (r === ranges.length || id < ranges[r].start) {
      problems.push(`${who}: issued ${id}, which is in none of its own reserved ranges`);
      return;
    }
  }
}

/**
 * A range reserved again (in part) by a later node, or lying at or above the final `max_id`, was given back.
 * Only a gracefully stopped node gives back, and only IDs it never issued.
 */
function checkGiveBacks(
  sorted: readonly Range[],
  index: number,
  tag: string,
  finalMaxId: number,
  problems: string[],
): void {
  for (let i = 0; i < sorted.length; i++) {
    const q = sorted[i];
    let cut = Math.min(finalMaxId, q.end);
    // Sorted by start, then by when reserved: a following range starting inside q was reserved after q's give-back.
    for (let j = i + 1; j < sorted.length && sorted[j].start < q.end; j++) cut = Math.min(cut, sorted[j].start);
    cut = Math.max(cut, q.start);
    if (cut === q.end) continue;
    const owner = q.owner;
    const where = `${tag}: [${cut}, ${q.end}) of node #${owner.node.id}`;
    if (owner.node.fate !== 'stopped') {
      problems.push(
        `${where} was reserved again or is above max_id ${finalMaxId}, but that node was ${owner.node.fate}, not stopped`,
      );
      continue;
    }
    const ids = owner.tags[index].ids;
    const used = ids[lowerBound(ids, cut)];
    if (used !== undefined && used < q.end) problems.push(`${where} was given back, but the node had issued ${used}`);
    owner.tags[index].givenBack += q.end - cut;
  }
}

/**
 * Every ID below the final `max_id` that no recorded range covers was reserved by a node killed before it
 * heard of the reservation. Each such segment (step-sized, or the whole hole where steps vary) goes to a distinct
 * killed incarnation that was alive
 * then, was killed near the time the range was reserved, and had recorded no range above it.
 */
function attributeHoles(
  sorted: readonly Range[],
  logs: readonly IncarnationLog[],
  index: number,
  tag: string,
  step: number | null,
  finalMaxId: number,
  problems: string[],
): void {
  const holes: Array<{ start: number; end: number; after: number; before: number }> = [];
  let covered = 1;
  let below: Range | undefined;
  for (const r of sorted) {
    if (r.start > covered) holes.push({ start: covered, end: r.start, after: below?.at ?? -Infinity, before: r.at });
    if (r.end > covered) {
      covered = r.end;
      below = r;
    }
  }
  if (finalMaxId > covered)
    holes.push({ start: covered, end: finalMaxId, after: below?.at ?? -Infinity, before: Infinity });

  for (const hole of holes) {
    const size = step ?? hole.end - hole.start;
    if ((hole.end - hole.start) % size !== 0) {
      problems.push(
        `${tag}: [${hole.start}, ${hole.end}) was reserved by nobody who reported it, and is not whole segments`,
      );
      continue;
    }
    for (let start = hole.start; start < hole.end; start += size) {
      const distance = (log: IncarnationLog) => {
        const at = log.node.signalledAt!;
        return at < hole.after ? hole.after - at : at > hole.before ? at - hole.before : 0;
      };
      const candidates = logs.filter((log) => {
        const own = log.tags[index];
        return (
          log.node.fate === 'killed' &&
          own.lostInFlight === 0 &&
          log.node.spawnedAt < hole.before &&
          (own.ranges.at(-1)?.end ?? 0) <= start &&
          distance(log) <= ATTRIBUTION_SLACK_MS
        );
      });
      // A node holding a standby segment has no reservation in flight, so among the kills near enough in time
      // (two nodes killed in the same millisecond tie) the culprit is one that could have been reserving.
      const couldReserve = (log: IncarnationLog) =>
        Number(sumRanges(log.tags[index].ranges) - log.tags[index].ids.length <= size);
      const culprit = candidates.sort((a, b) => couldReserve(b) - couldReserve(a) || distance(a) - distance(b))[0];
      if (culprit === undefined) problems.push(`${tag}: [${start}, ${start + size}) is a hole no kill explains`);
      else culprit.tags[index].lostInFlight = size;
    }
  }
}

function sumRanges(ranges: readonly Range[]): number {
  return ranges.reduce((n, r) => n + r.end - r.start, 0);
}

/** Index of the first element >= value in an ascending array. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
