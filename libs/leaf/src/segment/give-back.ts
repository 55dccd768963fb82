import { sentence } from '../errors/error-message.js';
import { withDeadline } from '../store/store-deadline.js';
import type { BufferContext } from './buffer-context.js';
import type { UnusedTail } from './segment-pair.js';

/**
 * Returns the unused tail of a tag to the table when the tag is closed (shutdown, or idle), so a rolling restart
 * leaves no gap. A compare-and-set: if a node reserved since, the tail stays a gap instead, never a duplicate.
 * Resolves to whether it was given back; never rejects.
 */
export async function giveBack(ctx: BufferContext, bizTag: string, { firstUnused, end }: UnusedTail): Promise<boolean> {
  try {
    const returned = await withDeadline(ctx.options.reservationTimeoutMs, `Giving back IDs of "${bizTag}"`, (signal) =>
      ctx.store.giveBack(bizTag, firstUnused, end, signal),
    );
    ctx.logger.log(
      returned
        ? `Gave back ${end - firstUnused} unused IDs of "${bizTag}" (max_id ${end} -> ${firstUnused}).`
        : `Kept the ${end - firstUnused} unused IDs of "${bizTag}" as a gap: another node reserved since.`,
    );
    return returned;
  } catch (error) {
    ctx.logger.warn(`Could not give back the unused IDs of "${bizTag}": ${sentence(String(error))} They stay a gap.`);
    return false;
  }
}
