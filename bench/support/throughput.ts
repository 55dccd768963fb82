import type { LeafTagSnapshot } from 'nest-leaf';
import { formatCount, formatSpread, renderTable } from './table.js';

/** A throughput case's figures: IDs/s per round and their median (in-process and per-ID cases). */
export interface ThroughputResult {
  readonly name: string;
  readonly idsPerSec: number;
  readonly roundsIdsPerSec: number[];
  readonly batch: number;
  readonly leaf?: LeafActivity;
}

/** What the generator did while a case was timed: how often the database was touched, and whether callers waited. */
export interface LeafActivity {
  readonly tag: string;
  readonly reservations: number;
  readonly waits: number;
  readonly idsIssued: number;
  readonly stepAtEnd: number;
}

export function activity(
  tag: string,
  before: LeafTagSnapshot | undefined,
  after: LeafTagSnapshot | undefined,
): LeafActivity {
  if (before === undefined || after === undefined) throw new Error(`IdGenerator.inspect() has no tag "${tag}"`);
  return {
    tag,
    reservations: after.reservations - before.reservations,
    waits: after.waits - before.waits,
    idsIssued: after.idsIssued - before.idsIssued,
    stepAtEnd: after.step,
  };
}

/** Case, median IDs/s, the rounds' spread, and what the generator did meanwhile. */
export function throughputTable(rows: readonly ThroughputResult[]): string {
  const activityText = (leaf: LeafActivity | undefined) =>
    leaf
      ? `${leaf.reservations} reservations, ${leaf.waits} waits, ${formatCount(leaf.idsIssued)} IDs, step ${formatCount(leaf.stepAtEnd)}`
      : '';
  return renderTable(
    [
      { header: 'case' },
      { header: 'IDs/s (median)', align: 'right' },
      { header: 'rounds min – max', align: 'right' },
      { header: 'DB activity while timed' },
    ],
    rows.map((t) => [t.name, formatCount(t.idsPerSec), formatSpread(t.roundsIdsPerSec), activityText(t.leaf)]),
  );
}
