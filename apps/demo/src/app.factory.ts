import { type LogLevel, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ADMIN_SECURITY } from './admin/admin-token.guard.js';
import { AppModule, type DemoAppOptions } from './app.module.js';
import { RequestDrain } from './lifecycle/request-drain.service.js';

export interface CreateAppOptions extends DemoAppOptions {
  /** Nest's logger option: `false` silences it (tests). */
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * Builds the demo application, configured but not listening: `main.ts` listens on the configured port, tests
 * call `init()` and drive it with supertest. Configuration errors reject (they do not abort the process).
 */
export async function createApp(options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), {
    abortOnError: false,
    // During shutdown new requests get a 503 and "Connection: close"; those in flight finish (see RequestDrain).
    return503OnClosing: true,
    ...(options.logger !== undefined && { logger: options.logger }),
  });
  // Registered before Nest's body parser, so a request counts as in flight from its first byte.
  app.use(app.get(RequestDrain).track);
  app.disable('x-powered-by');

  const document = new DocumentBuilder()
    .setTitle('nest-leaf demo')
    .setDescription(
      "Unique, increasing IDs in Meituan Leaf's segment mode. IDs are 64-bit and travel as decimal strings in JSON.",
    )
    .setVersion('0.1.0')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'opaque',
        description: "The server's ADMIN_TOKEN (admin endpoints only)",
      },
      ADMIN_SECURITY,
    )
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, document));
  return app;
}
