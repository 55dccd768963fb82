import { LeafError } from './leaf.error.js';

/**
 * A store refused a reservation because the server it now runs on is not the one its fencing marker names: a
 * failover happened (a replica was promoted), and the promoted server may lack the last reservations, whose IDs
 * are in use. Nothing was reserved. The generator fences the store (moves every tag's `max_id` ahead) and reserves
 * again; an operator can fence ahead of traffic with `LeafAdmin.fence()` or `npx nest-leaf fence`.
 */
export class FenceRequiredError extends LeafError {
  readonly code = 'LEAF_FENCE_REQUIRED';

  /**
   * @param identity the server the store runs on now (`postgres timeline 3`, `mariadb server_id 2`, `redis replid …`)
   * @param fencedFor the server the marker names, or null when there is none
   */
  constructor(
    readonly identity: string,
    readonly fencedFor: string | null,
    message?: string,
  ) {
    super(
      message ??
        `The store runs on ${identity} but was last fenced for ${fencedFor ?? 'no server'}: a failover happened, and ` +
          'the promoted server may lack the newest reservations. Nothing was reserved; fence it first ' +
          '(LeafAdmin.fence(), or npx nest-leaf fence), which the generator does on its own.',
    );
  }
}
