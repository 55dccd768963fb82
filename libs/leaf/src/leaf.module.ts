import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigurableLeafModule, LEAF_OPTIONS_TYPE } from './leaf.module-definition.js';
import { IdGenerator } from './id-generator.js';
import { ADD_FEATURE_TAGS } from './leaf.constants.js';
import { resolveLeafOptions, type LeafModuleOptions } from './leaf.options.js';

/**
 * Provides `IdGenerator` and `LeafAdmin`, reserving segments from a `LeafStore`: by default `leaf_alloc` in a TypeORM
 * DataSource, or the `store` given in the options.
 *
 * ```ts
 * LeafModule.forRoot({ bizTags: ['order', { tag: 'user', step: 500, threshold: 0.5 }], step: 1000 })
 * LeafModule.forRoot({ bizTags: ['order'], store: new MyLeafStore(client) }) // no TypeORM needed
 * LeafModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (c) => ({ ... }) })
 * ```
 * Besides the options, both take `dataSource` (a named TypeORM connection, for the default store) and `isGlobal`
 * (default true: one generator for the whole app). The module exports `IdGenerator`, `LeafAdmin`, and the
 * `LEAF_STORE` and `LEAF_OPTIONS` tokens, which a test can override (`overrideProvider(LEAF_STORE)`).
 */
@Module({})
export class LeafModule extends ConfigurableLeafModule {
  /**
   * Options given inline are checked here, so a mistake fails before any connection is opened.
   * @throws InvalidLeafOptionsError naming the first option it cannot use
   */
  static override forRoot(options: typeof LEAF_OPTIONS_TYPE): DynamicModule {
    resolveLeafOptions(options);
    return super.forRoot(options);
  }

  /**
   * Adds a feature module's tags to the application's one generator (`forRoot`, which stays in the root module):
   * they are checked as `forRoot`'s are, with its defaults (step, threshold, runway, `timeZone`), and served from
   * startup on. A tag configured twice is refused at bootstrap.
   *
   * ```ts
   * @Module({ imports: [LeafModule.forFeature({ bizTags: [{ tag: 'invoice', period: 'day', format: 'INV-{yyyy}{MM}{dd}-{seq:6}' }] })] })
   * export class InvoicesModule {}
   * ```
   * @throws InvalidLeafOptionsError for an entry it cannot use (at once), or a tag configured twice (at bootstrap)
   */
  static forFeature(options: LeafFeatureOptions): DynamicModule {
    // The entries' own shape is checked here, so a typo fails where the feature module is built.
    resolveLeafOptions({ bizTags: options?.bizTags as LeafFeatureOptions['bizTags'] });
    return {
      module: LeafFeatureModule,
      providers: [
        {
          provide: Symbol('nest-leaf:feature'),
          useFactory: (ids: IdGenerator) => ids[ADD_FEATURE_TAGS](options.bizTags),
          inject: [IdGenerator],
        },
      ],
    };
  }
}

/** What `LeafModule.forFeature` takes: tags, as `forRoot`'s `bizTags`. */
export interface LeafFeatureOptions {
  readonly bizTags: LeafModuleOptions['bizTags'];
}

/** The module a `forFeature` builds: it adds its tags to the generator of `LeafModule.forRoot`. */
@Module({})
export class LeafFeatureModule {}
