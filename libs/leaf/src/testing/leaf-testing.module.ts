import { Module, type DynamicModule } from '@nestjs/common';
import { InvalidLeafOptionsError } from '../errors/invalid-leaf-options.error.js';
import { LeafModule } from '../leaf.module.js';
import { resolveLeafOptions, type LeafModuleOptions } from '../leaf.options.js';
import { InMemoryLeafStore } from './in-memory-leaf.store.js';

/** Options of `LeafTestingModule.forRoot()`: `LeafModule`'s options, every one optional, plus the store. */
export interface LeafTestingOptions extends Partial<LeafModuleOptions> {
  /**
   * The store to use, when the test wants to seed rows, `hold()` reservations or look at `max_id`.
   * Default: a new `InMemoryLeafStore` per compiled module (reachable as `moduleRef.get(InMemoryLeafStore)`).
   */
  store?: InMemoryLeafStore;
  /** Register the module globally. Default false. */
  isGlobal?: boolean;
}

/**
 * `LeafModule` without a database, for unit tests of services that inject `IdGenerator`: the real generator
 * over an `InMemoryLeafStore`, so IDs are deterministic (a new tag gives 1n, 2n, 3n…) and errors are real.
 *
 * ```ts
 * const moduleRef = await Test.createTestingModule({
 *   imports: [LeafTestingModule.forRoot({ bizTags: ['order'] })],
 *   providers: [OrdersService],
 * }).compile();
 * await moduleRef.init(); // reserves the first segments, as the app would at startup
 * ```
 * It is `LeafModule.forRootAsync` on that store: it exports `IdGenerator`, `LeafAdmin`, `LEAF_STORE`, `LEAF_OPTIONS`
 * and `InMemoryLeafStore`; `moduleRef.close()` closes the generator. As with `LeafModule`, a tag that is neither in `bizTags` nor a row of the store throws
 * `UnknownBizTagError`; tags are not made up on first use.
 */
@Module({})
export class LeafTestingModule {
  /**
   * @param options as `LeafModule.forRoot()`, same defaults. `bizTags` may be left out when `store` already
   *   has rows: those tags are then the configured ones.
   * @throws InvalidLeafOptionsError when an option is invalid, or there is no tag at all
   */
  static forRoot(options: LeafTestingOptions = {}): DynamicModule {
    const { store, isGlobal = false, ...leafOptions } = options;
    // Each seeded row with its own step, so the generator does not warn that the row's step wins.
    const bizTags = leafOptions.bizTags ?? [...(store?.rows ?? [])].map(([tag, { step }]) => ({ tag, step }));
    if (bizTags.length === 0) {
      throw new InvalidLeafOptionsError(
        'bizTags',
        'LeafTestingModule needs the tags the code under test uses, as LeafModule does: ' +
          "forRoot({ bizTags: ['order'] }), or a store seeded with rows: forRoot({ store: new InMemoryLeafStore({ order: { step: 1000 } }) })",
      );
    }
    // Checked here, as LeafModule.forRoot does, so a typo fails where the test builds its module.
    resolveLeafOptions({ ...leafOptions, bizTags });
    // A factory, not a value: a module definition reused by several tests gives each a fresh table.
    const memory: DynamicModule = {
      module: InMemoryStoreModule,
      providers: [{ provide: InMemoryLeafStore, useFactory: () => store ?? new InMemoryLeafStore() }],
      exports: [InMemoryLeafStore],
    };
    // LeafModule itself, on that store: the module under test is wired exactly as the app's.
    const leaf = LeafModule.forRootAsync({
      isGlobal,
      imports: [memory],
      inject: [InMemoryLeafStore],
      useFactory: (inMemory: InMemoryLeafStore) => ({ ...leafOptions, bizTags, store: inMemory }),
    });
    return { module: LeafTestingModule, global: isGlobal, imports: [memory, leaf], exports: [memory, leaf] };
  }
}

/** Holds the test's `InMemoryLeafStore`, so that `LeafModule`'s factory and the test both reach the same one. */
@Module({})
class InMemoryStoreModule {}
