import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../../apps/demo/src/app.factory.js';

/** The demo application listening on a free loopback port, as `main.ts` builds it. */
export interface RunningDemo {
  readonly app: NestExpressApplication;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Closes the app once; later calls share that shutdown. */
  close(): Promise<void>;
}

export async function startDemo(env: Record<string, string>): Promise<RunningDemo> {
  const app = await createApp({ env, logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return { app, url: `http://127.0.0.1:${port}`, close: () => (closing ??= app.close()) };
}
