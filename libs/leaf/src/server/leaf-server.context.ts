import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { IdGenerator } from '../id-generator.js';
import { LEAF_OPTIONS, LEAF_STORE } from '../leaf.constants.js';
import type { ResolvedLeafOptions } from '../leaf.defaults.js';
import type { LeafStore } from '../store/leaf-store.js';
import { withDeadline } from '../store/store-deadline.js';
import { InvalidLeafServerOptionsError } from './leaf-server-options.error.js';
import { TagAccess } from './tag-access.js';

/**
 * What the server serves: the `IdGenerator`, `LeafStore` and resolved options of the application's `LeafModule`,
 * which exports them (globally, unless the app set `isGlobal: false` and imports it elsewhere).
 */
@Injectable()
export class LeafServerContext implements OnModuleInit {
  /** Which rows each client's tags reach: decided by the period tags, steps, zone and clock of `LeafModule`. */
  access!: TagAccess;

  constructor(
    @Optional() @Inject(IdGenerator) readonly ids: IdGenerator,
    @Optional() @Inject(LEAF_STORE) readonly store: LeafStore,
    @Optional() @Inject(LEAF_OPTIONS) readonly options: ResolvedLeafOptions,
  ) {}

  /** Optional injections, so that a missing `LeafModule` is said in a sentence that names the fix. */
  onModuleInit(): void {
    if (this.ids === undefined || this.store === undefined || this.options === undefined) {
      throw InvalidLeafServerOptionsError.noLeafModule(this.ids === undefined ? 'IdGenerator' : 'LeafStore');
    }
    this.access = new TagAccess(this.options);
  }

  /**
   * One store call under the library's deadline (`reservationTimeoutMs`), as the generator makes its own: the store
   * gets a signal that fires then, and the caller a plain `Error` (503, worth retrying).
   */
  call<T>(what: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline(this.options.reservationTimeoutMs, what, call);
  }
}
