import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import type { INestApplication, LogLevel, LoggerService, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ADMIN_SECURITY } from './admin/admin-token.guard.js';
import { AppModule, type DemoAppOptions } from './app.module.js';
import { errorBody } from './common/error-body.js';
import { BODY_LIMIT_BYTES, unreadableRequest } from './common/unreadable-request.js';
import { validateEnvironment } from './config/environment.validation.js';
import { documentLeafRoute } from './ids/leaf-route.docs.js';
import { RequestDrain } from './lifecycle/request-drain.service.js';

export interface CreateAppOptions extends DemoAppOptions {
  /** Nest's logger option: `false` silences it (tests). */
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * Builds the demo application on the platform `HTTP_PLATFORM` names (Fastify by default, or Express), configured
 * but not listening: `main.ts` listens on the configured port, tests listen on a free one. Configuration errors
 * reject (they do not abort the process).
 */
export async function createApp(options: CreateAppOptions = {}): Promise<INestApplication> {
  // Read once here, since the platform must be known before the app exists; the app is configured from the same.
  const env = options.env ?? processEnvironment();
  const { platform } = validateEnvironment(env).http;
  const module = AppModule.forRoot({ env });
  const nestOptions: NestApplicationOptions = {
    abortOnError: false,
    // During shutdown new requests get a 503 and "Connection: close"; those in flight finish (see RequestDrain).
    return503OnClosing: true,
    ...(options.logger !== undefined && { logger: options.logger }),
  };
  let app: INestApplication;
  if (platform === 'fastify') {
    const adapter = new FastifyAdapter({
      bodyLimit: BODY_LIMIT_BYTES,
      // find-my-way refuses a path parameter over 100 characters (414); a tag has up to 128, each up to 12 once
      // percent-encoded (4 UTF-8 bytes), and gets the library's own 400 when longer.
      routerOptions: { maxParamLength: 1536 },
      frameworkErrors: answerUnroutable,
    });
    app = await NestFactory.create(module, adapter, nestOptions);
  } else {
    const express = await NestFactory.create<NestExpressApplication>(module, nestOptions);
    express.disable('x-powered-by');
    app = express;
  }
  // Registered before Nest's body parser, so a request counts as in flight from its first byte.
  app.use(app.get(RequestDrain).track);

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
  SwaggerModule.setup('docs', app, () => documentLeafRoute(SwaggerModule.createDocument(app, document)));
  return app;
}

/** A URL Fastify cannot route (broken percent-encoding) is answered before Nest sees it: in the demo's words. */
function answerUnroutable(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode ?? 400;
  const unreadable = unreadableRequest(error, {
    method: request.method,
    path: request.url.split('?')[0],
    contentType: request.headers['content-type'],
  });
  void reply
    .code(status)
    .header('Content-Type', 'application/json; charset=utf-8')
    .send(errorBody(status, unreadable?.code ?? error.code, unreadable?.message ?? error.message));
}

/** The process' environment over a `.env` file in the working directory, if there is one (as @nestjs/config reads it). */
function processEnvironment(): Record<string, string | undefined> {
  const file = existsSync('.env') ? parseEnv(readFileSync('.env', 'utf8')) : {};
  return { ...file, ...process.env };
}
