import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Controller, Get, type DynamicModule, type INestApplication } from '@nestjs/common';
import { IdGenerator } from 'nest-leaf';
import { createApp } from '../../apps/demo/src/app.factory.js';
import { AppModule } from '../../apps/demo/src/app.module.js';
import { mysqlDemoEnv } from '../../harness/mariadb.js';
import { median } from '../support/stats.js';

export interface HttpSettings {
  readonly connections: number;
  readonly durationS: number;
  /** An unrecorded run of each route first, so both are measured warm (JIT, connection pools, dynamic step). */
  readonly warmupS: number;
  readonly rounds: number;
}

/** What the autocannon child sends back (bench/children/autocannon.ts). */
export interface AutocannonRun {
  readonly requestsPerSec: number;
  readonly requests: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  readonly durationS: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
}

export interface HttpRoute {
  readonly key: 'ids' | 'empty';
  readonly path: string;
  readonly name: string;
}

export const HTTP_ROUTES: readonly HttpRoute[] = [
  { key: 'ids', path: '/ids/order', name: "demo: GET /ids/order (IdsController, nextId('order'))" },
  { key: 'empty', path: '/bench/empty', name: 'empty route: GET /bench/empty, same app and pipeline' },
];

export interface HttpRouteResult extends HttpRoute {
  readonly requestsPerSec: number;
  readonly roundsRequestsPerSec: number[];
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly rounds: AutocannonRun[];
}

export interface HttpResult {
  readonly routes: Record<HttpRoute['key'], HttpRouteResult>;
  /** Waits of the 'order' tag while the timed rounds ran: each is a request that waited on the database. */
  readonly waits: number;
  readonly reservations: number;
}

/**
 * The baseline route: no parameter, no ID, an empty JSON object. It sits in the demo's own AppModule, so a
 * request to it crosses exactly what a request to /ids/order crosses (Express, the RequestDrain middleware,
 * Nest's router, the global ValidationPipe and LeafExceptionFilter, JSON serialization) except the ID itself.
 */
@Controller('bench')
class EmptyController {
  @Get('empty')
  empty(): Record<string, never> {
    return {};
  }
}

/**
 * The demo app exactly as `createApp()` builds it (middleware, global pipe and filter, Swagger), with the
 * empty controller added to its AppModule: `AppModule.forRoot` is wrapped for the duration of the boot only.
 */
async function createDemoWithEmptyRoute(env: Record<string, string>): Promise<INestApplication> {
  const forRoot = AppModule.forRoot;
  AppModule.forRoot = (options) => {
    const module: DynamicModule = forRoot.call(AppModule, options);
    return { ...module, controllers: [...(module.controllers ?? []), EmptyController] };
  };
  try {
    return await createApp({ env, logger: false });
  } finally {
    AppModule.forRoot = forRoot;
  }
}

const AUTOCANNON_CHILD = fileURLToPath(new URL('../children/autocannon.js', import.meta.url));

/** One autocannon run, in a child process so it loads the other core, not the server's. */
export function autocannon(url: string, connections: number, durationS: number): Promise<AutocannonRun> {
  return new Promise((resolve, reject) => {
    // No inherited flags: a --cpu-prof of the bench should profile the server, not the load generator.
    const child = fork(AUTOCANNON_CHILD, [url, String(connections), String(durationS)], {
      execArgv: [],
      stdio: 'inherit',
    });
    let result: AutocannonRun | undefined;
    child.on('message', (message) => (result = message as AutocannonRun));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(`autocannon child exited with code ${code} and no result`));
    });
  });
}

export async function runHttp(
  database: string,
  settings: HttpSettings,
  progress: (line: string) => void,
): Promise<HttpResult> {
  const app = await createDemoWithEmptyRoute(mysqlDemoEnv(database));
  try {
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const url = (route: HttpRoute) => `http://127.0.0.1:${port}${route.path}`;
    const ids = app.get(IdGenerator);
    const check = (route: HttpRoute, run: AutocannonRun) => {
      if (run.errors > 0 || run.non2xx > 0 || run.requests === 0) {
        throw new Error(`${route.path}: ${run.requests} requests, ${run.errors} errors, ${run.non2xx} non-2xx`);
      }
    };

    progress(`http: warm-up ${settings.warmupS} s per route`);
    for (const route of HTTP_ROUTES) check(route, await autocannon(url(route), settings.connections, settings.warmupS));

    const before = ids.inspect().find((s) => s.tag === 'order')!;
    const runs = new Map<HttpRoute['key'], AutocannonRun[]>(HTTP_ROUTES.map((r) => [r.key, []]));
    for (let round = 0; round < settings.rounds; round++) {
      // Alternate which route goes first, so neither always runs on the warmer (or noisier) half of a round.
      const order = round % 2 === 0 ? HTTP_ROUTES : [...HTTP_ROUTES].reverse();
      for (const route of order) {
        progress(
          `http: round ${round + 1}/${settings.rounds}, ${route.path}, ${settings.connections} connections, ${settings.durationS} s`,
        );
        const run = await autocannon(url(route), settings.connections, settings.durationS);
        check(route, run);
        runs.get(route.key)!.push(run);
      }
    }
    const after = ids.inspect().find((s) => s.tag === 'order')!;

    const routes = Object.fromEntries(
      HTTP_ROUTES.map((route) => {
        const rounds = runs.get(route.key)!;
        const result: HttpRouteResult = {
          ...route,
          requestsPerSec: median(rounds.map((r) => r.requestsPerSec)),
          roundsRequestsPerSec: rounds.map((r) => r.requestsPerSec),
          latencyP50Ms: median(rounds.map((r) => r.latencyP50Ms)),
          latencyP99Ms: median(rounds.map((r) => r.latencyP99Ms)),
          rounds,
        };
        return [route.key, result];
      }),
    ) as Record<HttpRoute['key'], HttpRouteResult>;
    return { routes, waits: after.waits - before.waits, reservations: after.reservations - before.reservations };
  } finally {
    await app.close();
  }
}
