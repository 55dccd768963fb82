import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { LeafServerOptions } from './leaf-server.options.js';

export const {
  ConfigurableModuleClass: ConfigurableLeafServerModule,
  MODULE_OPTIONS_TOKEN: LEAF_SERVER_MODULE_OPTIONS,
  OPTIONS_TYPE: LEAF_SERVER_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: LEAF_SERVER_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<LeafServerOptions>({ moduleName: 'LeafServer' })
  .setClassMethodName('forRoot')
  .build();
