import { Module } from '@nestjs/common';
import { ConfigurableLeafModule } from './leaf.module-definition.js';

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
export class LeafModule extends ConfigurableLeafModule {}
