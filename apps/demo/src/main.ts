import 'reflect-metadata';
import { Logger, ShutdownSignal } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { adminApiHint } from './admin/admin-startup.js';
import { createApp } from './app.factory.js';
import type { DemoConfigService } from './config/demo.config.js';

const logger = new Logger('Demo');

try {
  const app = await createApp();
  // Exit 0 once shutdown has completed (in-flight requests answered, generator and database closed).
  app.enableShutdownHooks([ShutdownSignal.SIGTERM, ShutdownSignal.SIGINT], { useProcessExit: true });
  const config = app.get<DemoConfigService>(ConfigService);
  const { port } = config.get('http', { infer: true });
  // Every interface, as Express listens by default (Fastify alone would listen on localhost only: not in a container).
  await app.listen(port, '0.0.0.0');
  const url = `http://localhost:${port}`;
  logger.log(`Listening on ${url} · monitor ${url}/monitor · API docs ${url}/docs · metrics ${url}/metrics`);
  logger.log(adminApiHint(config.get('admin', { infer: true }).token, url));
} catch (error) {
  logger.error(
    error instanceof Error ? error.message : String(error),
    error instanceof Error ? error.stack : undefined,
  );
  process.exit(1);
}
