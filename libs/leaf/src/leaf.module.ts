import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigurableLeafModule, LEAF_OPTIONS_TYPE } from './leaf.module-definition.js';
import { resolveLeafOptions } from './leaf.options.js';

/**
 * Provides `IdGenerator`, backed by the `leaf_alloc` table of a TypeORM DataSource.
 *
 * ```ts
 * LeafModule.forRoot({ bizTags: ['order', { tag: 'user', step: 500 }], step: 1000, threshold: 0.2 })
 * LeafModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (c) => ({ ... }) })
 * ```
 * Besides the options, both take `dataSource` (a named TypeORM connection) and `isGlobal`.
 */
@Module({})
export class LeafModule extends ConfigurableLeafModule {
  /** Options given inline are checked here, so a mistake fails before any connection is opened. */
  static override forRoot(options: typeof LEAF_OPTIONS_TYPE): DynamicModule {
    resolveLeafOptions(options);
    return super.forRoot(options);
  }
}
