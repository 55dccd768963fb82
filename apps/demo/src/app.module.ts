import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LeafExceptionFilter, LeafModule } from 'nest-leaf';
import { LeafServerModule } from 'nest-leaf/server';
import { AdminModule } from './admin/admin.module.js';
import { HttpErrorFilter } from './common/http-error.filter.js';
import { JsonBodyGuard } from './common/json-body.guard.js';
import { DemoValidationPipe } from './common/validation.pipe.js';
import type { DemoConfigService } from './config/demo.config.js';
import { validateEnvironment } from './config/environment.validation.js';
import { leafServerOptions } from './config/leaf-server.options.js';
import { leafOptions } from './config/leaf.options.js';
import { typeOrmOptions } from './config/typeorm.options.js';
import { HealthModule } from './health/health.module.js';
import { IdsModule } from './ids/ids.module.js';
import { InvoicesModule } from './invoices/invoices.module.js';
import { RequestDrain } from './lifecycle/request-drain.service.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { MonitorModule } from './monitor/monitor.module.js';
import { OrdersModule } from './orders/orders.module.js';
import { UsersModule } from './users/users.module.js';

/** How the demo application is built: by `main.ts`, and by the tests with an environment of their own. */
export interface DemoAppOptions {
  /**
   * The environment variables to configure the app from. Default: `process.env`, plus a `.env` file in the
   * working directory if there is one. When given, nothing else is read.
   */
  env?: Record<string, string | undefined>;
}

@Module({})
export class AppModule {
  static forRoot(options: DemoAppOptions = {}): DynamicModule {
    const { env } = options;
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: env !== undefined,
          validate: (loaded) => validateEnvironment(env ?? loaded),
        }),
        TypeOrmModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: DemoConfigService) => typeOrmOptions(config.get('database', { infer: true })),
        }),
        LeafModule.forRootAsync({
          isGlobal: true,
          inject: [ConfigService],
          useFactory: (config: DemoConfigService) => leafOptions(config.get('leaf', { infer: true })),
        }),
        // Meituan Leaf's route and the segment routes of HttpLeafStore, served by the library (docs/server.md).
        LeafServerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: DemoConfigService) => leafServerOptions(config.get('leafServer', { infer: true })),
        }),
        OrdersModule,
        UsersModule,
        InvoicesModule,
        IdsModule,
        MonitorModule,
        HealthModule,
        MetricsModule,
        AdminModule,
      ],
      providers: [
        RequestDrain,
        // The library's one LeafError → HTTP mapping, the one its ID server answers with too.
        { provide: APP_FILTER, useClass: LeafExceptionFilter },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        { provide: APP_PIPE, useClass: DemoValidationPipe },
        // Before every route's own guards: a body that is not JSON gets its 415 before anything else is judged.
        { provide: APP_GUARD, useClass: JsonBodyGuard },
      ],
    };
  }
}
