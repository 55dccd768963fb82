import { createHash, timingSafeEqual } from 'node:crypto';
import type { ResolvedLeafServerClient } from './leaf-server.options.js';

/**
 * Finds the client a bearer token belongs to, in time that does not depend on how much of a token matches: both
 * sides are hashed with SHA-256 (equal lengths, whatever was sent) and compared with `timingSafeEqual`, against every
 * client, without stopping at the first match. So timing tells an attacker neither a token's prefix nor its length.
 *
 * The server's clients by default; any holders of a token work, so an app checks a token of its own the same way:
 * `new ClientTokens([{ token: adminToken }]).find(sent) !== undefined`.
 */
export class ClientTokens<C extends { readonly token: string } = ResolvedLeafServerClient> {
  private readonly digests: ReadonlyArray<{ readonly digest: Buffer; readonly client: C }>;

  constructor(clients: readonly C[]) {
    this.digests = clients.map((client) => ({ digest: sha256(client.token), client }));
  }

  /** The client whose token `token` is, or undefined. */
  find(token: string): C | undefined {
    const digest = sha256(token);
    let found: C | undefined;
    for (const entry of this.digests) {
      // No early exit: every client is compared, so the time spent does not tell which one matched.
      if (timingSafeEqual(entry.digest, digest) && found === undefined) found = entry.client;
    }
    return found;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
