import { LeafError } from './leaf.error.js';

/**
 * The ID server knows this client's token but does not allow it what it asked: a tag outside the client's `tags`, a
 * period row its tags do not own, or a route that needs `admin: true`. Retrying does not cure it: the server's
 * operator changes the client's entry in `LeafServerModule`'s `clients`, or the service asks for a tag it was given.
 */
export class LeafForbiddenError extends LeafError {
  readonly code = 'LEAF_FORBIDDEN';

  /**
   * @param bizTag the tag refused, or null when the route names none (listing, an admin route without a tag)
   * @param message the server's reason and where it came from
   */
  constructor(
    readonly bizTag: string | null,
    message: string,
  ) {
    super(message);
  }
}
