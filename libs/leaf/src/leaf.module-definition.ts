import { ConfigurableModuleBuilder, type DynamicModule } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { IdGenerator } from './id-generator.js';
import { LEAF_OPTIONS, LEAF_STORE } from './leaf.constants.js';
import { LeafAdmin } from './leaf.admin.js';
import {
  resolveLeafOptions,
  type LeafModuleExtras,
  type LeafModuleOptions,
} from './leaf.options.js';
import { LeafAlloc } from './store/leaf-alloc.entity.js';
import { TypeOrmLeafStore } from './store/typeorm-leaf.store.js';

export const {
  ConfigurableModuleClass: ConfigurableLeafModule,
  MODULE_OPTIONS_TOKEN: LEAF_MODULE_OPTIONS,
  OPTIONS_TYPE: LEAF_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: LEAF_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<LeafModuleOptions>({ moduleName: 'Leaf' })
  .setClassMethodName('forRoot')
  .setExtras<LeafModuleExtras>({ isGlobal: false, dataSource: undefined }, withLeafProviders)
  .build();

/** The part of the module that depends on the extras: the DataSource to use, and global registration. */
function withLeafProviders(definition: DynamicModule, extras: LeafModuleExtras): DynamicModule {
  return {
    ...definition,
    global: extras.isGlobal,
    imports: [...(definition.imports ?? []), TypeOrmModule.forFeature([LeafAlloc], extras.dataSource)],
    providers: [
      ...(definition.providers ?? []),
      {
        provide: LEAF_OPTIONS,
        useFactory: (options: LeafModuleOptions) => resolveLeafOptions(options),
        inject: [LEAF_MODULE_OPTIONS],
      },
      {
        provide: LEAF_STORE,
        useFactory: (dataSource: DataSource) => new TypeOrmLeafStore(dataSource),
        inject: [getDataSourceToken(extras.dataSource)],
      },
      IdGenerator,
      LeafAdmin,
    ],
    exports: [...(definition.exports ?? []), IdGenerator, LeafAdmin],
  };
}
