import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Inject, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { createServer, type AddressInfo } from 'node:net';
import { IdGenerator, LeafModule } from 'nest-leaf';
import { LeafHealthIndicator } from 'nest-leaf/health';
import type { InspectBody } from 'nest-leaf/server';
import { InMemoryLeafStore } from 'nest-leaf/testing';
import { freshDatabase, type TestDatabase } from '../../harness/mariadb.js';
import { startLeafServer, type LeafServerApp } from '../support/leaf-server.js';
import { runCli } from '../support/cli.js';

// `npx nest-leaf inspect`: what a running ID server's generator holds, through its admin route
// `GET /api/segment/inspect` (admin only, the tags the admin's own tags reach), and an app's health details.

const TOKENS = {
  ops: 'ops-token-0123456789abcdef-admin',
  orders: 'orders-admin-token-0123456789ab',
  billing: 'billing-token-0123456789abcdef',
};

describe('npx nest-leaf inspect and GET /api/segment/inspect', () => {
  let db: TestDatabase;
  let server: LeafServerApp;
  const route = () => `${server.url}/api/segment/inspect`;
  const asClient = (token?: string) =>
    fetch(route(), { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    db = await freshDatabase('cli_inspect');
    server = await startLeafServer({
      database: db.name,
      leaf: { bizTags: ['order', 'user'], step: 100 },
      server: {
        clients: [
          { name: 'ops', token: TOKENS.ops, tags: '*', admin: true },
          { name: 'orders-admin', token: TOKENS.orders, tags: ['order'], admin: true },
          { name: 'billing', token: TOKENS.billing, tags: ['order'] },
        ],
      },
    });
    const ids = server.app.get(IdGenerator);
    for (let i = 0; i < 5; i++) await ids.nextId('order');
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('the route is admin only, reads what the generator holds, and shows an admin only the tags it reaches', async () => {
    expect((await asClient()).status).toBe(401);
    expect((await asClient('not-a-client-token-0123456789')).status).toBe(401);
    const billing = await asClient(TOKENS.billing);
    expect(billing.status).toBe(403);
    expect(await billing.json()).toMatchObject({ code: 'LEAF_FORBIDDEN' });

    const ops = await asClient(TOKENS.ops);
    expect(ops.status).toBe(200);
    expect(ops.headers.get('cache-control')).toBe('no-store');
    const body = (await ops.json()) as InspectBody;
    expect(body.running).toBe(true);
    const order = body.tags.find((t) => t.tag === 'order')!;
    expect(order).toMatchObject({
      row: 'order',
      configured: true,
      current: { start: '1', end: '101' },
      nextPosition: '6',
      idsIssued: 5,
      health: { status: 'up' },
    });
    expect(body.tags.map((t) => t.tag).sort()).toEqual(['order', 'user']);
    // Reading reserved nothing: the row is where the two first segments left it.
    expect(await db.maxId('order')).toBe(BigInt(order.next === null ? 101 : Number(order.next.end)));

    const limited = (await (await asClient(TOKENS.orders)).json()) as InspectBody;
    expect(limited.tags.map((t) => t.tag)).toEqual(['order']);
  });

  it('inspect --url prints the snapshot (--json, or a table), with the token from --token or NEST_LEAF_TOKEN', async () => {
    const json = await runCli(['inspect', '--url', server.url, '--token', TOKENS.ops, '--json']);
    expect(json.code).toBe(0);
    const body = json.json<InspectBody & { source: string }>();
    expect(body.source).toBe('server');
    expect(body.tags.find((t) => t.tag === 'order')).toMatchObject({ current: { start: '1', end: '101' } });

    const text = await runCli(['inspect', '--url', `${server.url}/`], { NEST_LEAF_TOKEN: TOKENS.orders });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/generator running, 1 tag\(s\)/);
    expect(text.stdout).toMatch(/^order\s+order\s+up \(.+\)\s+\d+\s+\[1, 101\)/m);
  });

  it('a token that is no admin is exit 3, no token exit 2, an app that does not answer exit 3', async () => {
    const refused = await runCli(['inspect', '--url', server.url, '--token', TOKENS.billing, '--json']);
    expect(refused.code).toBe(3);
    expect(refused.json<{ error: { message: string } }>().error.message).toMatch(/refused the token \(403\)/);
    expect((await runCli(['inspect', '--url', server.url])).code).toBe(2);
    const port = await closedPort();
    const down = await runCli(['inspect', '--url', `http://127.0.0.1:${port}`, '--token', TOKENS.ops]);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain(`Could not reach http://127.0.0.1:${port}/api/segment/inspect: ECONNREFUSED`);
  });
});

describe('npx nest-leaf inspect --health', () => {
  let app: INestApplication;
  let url: string;

  @Controller()
  class HealthController {
    constructor(
      @Inject(HealthCheckService) private readonly health: HealthCheckService,
      @Inject(LeafHealthIndicator) private readonly leaf: LeafHealthIndicator,
    ) {}

    @Get('health')
    @HealthCheck()
    check() {
      return this.health.check([() => this.leaf.isHealthy()]);
    }
  }

  @Module({
    imports: [LeafModule.forRoot({ bizTags: ['order'], store: new InMemoryLeafStore() }), TerminusModule],
    providers: [LeafHealthIndicator],
    controllers: [HealthController],
  })
  class HealthApp {}

  beforeAll(async () => {
    app = await NestFactory.create(HealthApp, { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app?.close());

  it("reads the leaf indicator's details of an app's health endpoint; a URL without them is exit 5", async () => {
    const run = await runCli(['inspect', '--health', `${url}/health`, '--json']);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({
      source: 'health',
      running: true,
      tags: [{ tag: 'order', status: 'up', configured: true }],
    });
    const none = await runCli(['inspect', '--health', `${url}/nothing-here`]);
    expect(none.code).toBe(5);
    expect(none.stderr).toMatch(/no nest-leaf indicator in its details/);
  });
});

/** A port nothing listens on: one the system just gave and took back. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
