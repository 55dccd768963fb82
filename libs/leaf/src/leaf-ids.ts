import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { LeafUnavailableError } from './errors/leaf-unavailable.error.js';
import type { IdGenerator } from './id-generator.js';

/** The generators of the running `LeafModule`s of this process: one in an app, more only in tests. */
const running = new Set<IdGenerator>();

function generatorFor(bizTag: string): IdGenerator {
  if (running.size === 1) return running.values().next().value!;
  throw new LeafUnavailableError(
    bizTag,
    'not-loaded',
    running.size === 0
      ? `leafIds has no generator for "${bizTag}": no LeafModule has started in this process. Take IDs after ` +
          'await app.init() (or app.listen()) has resolved, or inject IdGenerator where you can.'
      : `leafIds serves one application per process, and ${running.size} run here: inject IdGenerator instead.`,
  );
}

/**
 * The application's `IdGenerator` for code that cannot inject it and cannot await: a column default declared in a
 * schema file (Drizzle's `$defaultFn`, MikroORM's `onCreate`, a Kysely plugin). Synchronous, from memory; see
 * `IdGenerator.nextIdSync` for the errors.
 *
 * ```ts
 * id: bigint('id', { mode: 'bigint' }).primaryKey().$defaultFn(() => leafIds.sync('order')),
 * ```
 * `LeafModule` binds it while it runs, from `app.init()` on: the tags in `bizTags` are in memory by then. Before, or
 * after shutdown, it throws `LeafUnavailableError`.
 */
export const leafIds = {
  /** `nextIdSync(bizTag)` of the running generator. */
  sync(bizTag: string): bigint {
    return generatorFor(bizTag).nextIdSync(bizTag);
  },
  /** `nextIdsSync(bizTag, count)` of the running generator: all or none. */
  syncMany(bizTag: string, count: number): bigint[] {
    return generatorFor(bizTag).nextIdsSync(bizTag, count);
  },
} as const;

/** `LeafModule`'s provider that binds `leafIds` to its generator from module init to module destroy. */
export class LeafIdsBinding implements OnModuleInit, OnModuleDestroy {
  constructor(private readonly ids: IdGenerator) {}

  onModuleInit(): void {
    running.add(this.ids);
  }

  onModuleDestroy(): void {
    running.delete(this.ids);
  }
}
