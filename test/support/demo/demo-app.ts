import type { AddressInfo } from 'node:net';
import { expect } from '@jest/globals';
import type { TestDatabase } from '../../../harness/mariadb.js';
import type { INestApplication } from '@nestjs/common';
import { createApp, type CreateAppOptions } from '../../../apps/demo/src/app.factory.js';

/** The demo application listening on a free loopback port, as `main.ts` builds it. */
export interface RunningDemo {
  readonly app: INestApplication;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Closes the app once; later calls share that shutdown. */
  close(): Promise<void>;
}

/** `logger`: Nest's logger option, silent by default. */
export async function startDemo(
  env: Record<string, string>,
  { logger = false }: Pick<CreateAppOptions, 'logger'> = {},
): Promise<RunningDemo> {
  const app = await createApp({ env, logger });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return { app, url: `http://127.0.0.1:${port}`, close: () => (closing ??= app.close()) };
}

/** Checks that `leaf_alloc` holds only what a demo makes at startup: its tags' rows, at the default step. */
export async function expectStartupRowsOnly(db: Pick<TestDatabase, 'query'>): Promise<void> {
  const rows = await db.query<Array<{ biz_tag: string; step: number }>>(
    "SELECT biz_tag, step FROM leaf_alloc WHERE biz_tag <> '__nest_leaf_fence__' ORDER BY biz_tag",
  );
  expect(rows).toEqual([
    { biz_tag: expect.stringMatching(/^invoice:\d{8}$/), step: 1000 },
    { biz_tag: 'invoice_id', step: 1000 },
    { biz_tag: 'order', step: 1000 },
    { biz_tag: 'user', step: 1000 },
  ]);
}
