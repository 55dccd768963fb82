import { duplicatesOf, type FailoverFleet, type NodeResult } from './failover-fleet.js';

/** What a failover run knows of itself, for its figures. */
export type FailoverRun = Pick<FailoverFleet<unknown>, 'nodes'> & {
  readonly timings: { readonly promotedMs?: number };
  readonly primaryMaxIds: ReadonlyMap<string, bigint>;
  readonly replicaMaxIds: ReadonlyMap<string, bigint>;
};

/**
 * Prints the figures of one failover run (`[failover] <label>: …`): IDs and duplicates per tag, the lost window
 * (`max_id` on the primary minus on the replica), the fences that moved rows (from the `Fenced …` warnings), failed
 * calls per node, when each node first reserved on the promoted server, and reservation errors. Returns the counts
 * the tests assert on.
 */
export function failoverReport(
  label: string,
  run: FailoverRun,
  results: NodeResult[],
  tags: readonly string[],
  warnings: readonly string[],
): { total: number; duplicates: number; fences: number; failures: number[] } {
  const { total, duplicates, perTag } = duplicatesOf(results);
  const fences = warnings.filter((line) => line.startsWith('Fenced '));
  const rows = fences.map((line) => Number(/(\d+) row\(s\) moved/.exec(line)?.[1] ?? 0));
  const lost = tags.map((tag) => `${tag} ${run.primaryMaxIds.get(tag)! - run.replicaMaxIds.get(tag)!}`).join(', ');
  const calls = results.map((r) => `${r.name} ${r.failures.length}`).join(', ');
  const reservations = run.nodes.map((n) => `${n.name} ${n.reservations.ok}/${n.reservations.failed}`).join(', ');
  const served = run.nodes.map((n) => `${n.name} ${Math.round(n.servedAfterMs ?? -1)}`).join(', ');
  const errors = [...new Set(run.nodes.flatMap((n) => [...n.reservations.errors]))].slice(0, 4);
  const callErrors = [
    ...new Set(results.flatMap((r) => r.failures.map((f) => String((f.error as Error)?.message).slice(0, 160)))),
  ].slice(0, 3);
  process.stdout.write(
    `[failover] ${label}: ${total} IDs by ${results.length} nodes, ${duplicates} handed out twice ` +
      `${JSON.stringify(perTag)}; lost window (max_id on the primary minus on the replica): ${lost}; ` +
      `fences that moved rows: ${fences.length} (rows ${rows.join('+') || 0}); failed calls: ${calls}; ` +
      `promoted ${Math.round(run.timings.promotedMs!)} ms after the kill, first reservation on it (ms after the ` +
      `kill): ${served}; reservations ok/failed: ${reservations} ${JSON.stringify(errors)}` +
      (callErrors.length > 0 ? `; calls failed with ${JSON.stringify(callErrors)}` : '') +
      (fences.length > 0 ? `; fence: ${fences[0]}` : '') +
      '\n',
  );
  return { total, duplicates, fences: fences.length, failures: results.map((r) => r.failures.length) };
}
