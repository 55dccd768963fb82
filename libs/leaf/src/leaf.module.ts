import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigurableLeafModule, LEAF_OPTIONS_TYPE } from './leaf.module-definition.js';
import { resolveLeafOptions } from './leaf.options.js';

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
}
