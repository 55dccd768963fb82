import { IdGenerator } from '../id-generator.js';
import { LeafAdmin } from '../leaf.admin.js';
import type { LeafStore } from '../store/leaf-store.js';
import { cliOptions } from './cli-options.js';

/**
 * `LeafAdmin` over the store, as `LeafModule` builds it but without an app: `create-tag`, `set-step` and `fence` run
 * the library's own checks and messages, not a copy of them. Its generator is never started (it reserves nothing).
 */
export function adminOf(store: LeafStore): LeafAdmin {
  const options = cliOptions();
  return new LeafAdmin(options, store, new IdGenerator(options, store));
}
