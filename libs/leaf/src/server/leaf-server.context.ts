import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { IdGenerator } from '../id-generator.js';
import { LEAF_OPTIONS, LEAF_STORE } from '../leaf.constants.js';
import type { ResolvedLeafOptions } from '../leaf.defaults.js';
import type { LeafStore } from '../store/leaf-store.js';
import { withDeadline } from '../store/store-deadline.js';
import { InvalidLeafServerOptionsError } from './leaf-server-options.error.js';
import { TagAccess } from './tag-access.js';

/**
 * What the server serves: the `IdGenerator`, `LeafStore` and resolved options of the application's `LeafModule`.
 *
 * `LeafModule` exports the generator but keeps its store and options to itself, so they are found through
 * `ModuleRef` across modules (`strict: false`) once every provider is built (`onModuleInit`): looking them up while
 * providers are still being built could miss them, and importing `LeafModule` here would build a second one.
 */
@Injectable()
export class LeafServerContext implements OnModuleInit {
  private found: { ids: IdGenerator; store: LeafStore; options: ResolvedLeafOptions; access: TagAccess } | undefined;

  constructor(@Inject(ModuleRef) private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    const options = this.lookUp<ResolvedLeafOptions>(LEAF_OPTIONS, 'LeafModule options');
    this.found = {
      ids: this.lookUp<IdGenerator>(IdGenerator, 'IdGenerator'),
      store: this.lookUp<LeafStore>(LEAF_STORE, 'LeafStore'),
      options,
      // The period tags, steps, zone and clock of the server's LeafModule decide which rows a client's tags reach.
      access: new TagAccess(options.bizTags, options.timeZone, options.clock),
    };
  }

  get ids(): IdGenerator {
    return this.ready().ids;
  }

  get store(): LeafStore {
    return this.ready().store;
  }

  get options(): ResolvedLeafOptions {
    return this.ready().options;
  }

  /** Which rows each client's tags reach. */
  get access(): TagAccess {
    return this.ready().access;
  }

  /**
   * One store call under the library's deadline (`reservationTimeoutMs`), as the generator makes its own: the store
   * gets a signal that fires then, and the caller a plain `Error` (503, worth retrying).
   */
  call<T>(what: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline(this.options.reservationTimeoutMs, what, call);
  }

  private ready(): NonNullable<LeafServerContext['found']> {
    if (this.found === undefined) throw new Error('LeafServerContext is used before the module was initialised');
    return this.found;
  }

  private lookUp<T>(token: unknown, what: string): T {
    try {
      return this.moduleRef.get<T>(token as string, { strict: false });
    } catch {
      throw InvalidLeafServerOptionsError.noLeafModule(what);
    }
  }
}
