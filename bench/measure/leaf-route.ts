import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availablePlatforms, startIdServer, type Platform } from '../../harness/leaf-server.js';
import { median } from '../support/stats.js';
import { autocannon, type AutocannonRun, type HttpSettings } from './http.js';

export type LeafRouteKey = 'bare' | Platform;

export interface LeafRouteResult {
  readonly key: LeafRouteKey;
  readonly name: string;
  readonly requestsPerSec: number;
  readonly roundsRequestsPerSec: number[];
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
}

export type LeafRouteResults = Partial<Record<LeafRouteKey, LeafRouteResult>>;

const NAMES: Record<LeafRouteKey, string> = {
  bare: 'bare node:http returning a counter as text/plain',
  express: "LeafServerModule on Express: GET /api/segment/get/order (Leaf's route)",
  fastify: "LeafServerModule on Fastify: GET /api/segment/get/order (Leaf's route)",
};

/** What the ID server's route is measured against: Node's own HTTP server doing the least an ID route can. */
async function bareCounter(): Promise<{ url: string; close(): Promise<void> }> {
  let counter = 0n;
  const server: Server = createServer((_request, response) => {
    counter += 1n;
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    response.end(counter.toString());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Leaf's route on the ID server (nest-leaf/server, MariaDB, anonymous GET as Leaf clients send no token) on Express
 * and on Fastify, and the bare counter: the same autocannon settings, rounds interleaved, each server alone on the
 * machine while it is measured.
 */
export async function runLeafRoute(
  database: string,
  settings: HttpSettings,
  progress: (line: string) => void,
): Promise<LeafRouteResults> {
  const keys: LeafRouteKey[] = ['bare', ...(await availablePlatforms())];
  const runs = new Map<LeafRouteKey, AutocannonRun[]>(keys.map((key) => [key, []]));
  // Started once and kept warm (JIT, pools, the dynamic step); an idle server costs the measured one nothing.
  const servers = new Map<LeafRouteKey, { readonly url: string; close(): Promise<void> }>();
  try {
    for (const key of keys) {
      servers.set(
        key,
        key === 'bare'
          ? await bareCounter()
          : await startIdServer({
              database,
              platform: key,
              leaf: { bizTags: ['order'] },
              server: { clients: [{ name: 'bench', token: 'bench-token-0123456789', tags: '*' }], anonymousGet: true },
              wrapStore: (store) => store,
            }),
      );
    }
    const measure = async (key: LeafRouteKey, durationS: number): Promise<AutocannonRun> => {
      const run = await autocannon(`${servers.get(key)!.url}/api/segment/get/order`, settings.connections, durationS);
      if (run.errors > 0 || run.non2xx > 0 || run.requests === 0) {
        throw new Error(`${key}: ${run.requests} requests, ${run.errors} errors, ${run.non2xx} non-2xx`);
      }
      return run;
    };
    for (const key of keys) {
      progress(`leafRoute: warm-up ${settings.warmupS} s, ${key}`);
      await measure(key, settings.warmupS);
    }
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 === 0 ? keys : [...keys].reverse();
      for (const key of order) {
        progress(`leafRoute: round ${round + 1}/${settings.rounds}, ${key}, ${settings.connections} connections`);
        runs.get(key)!.push(await measure(key, settings.durationS));
      }
    }
  } finally {
    for (const server of servers.values()) await server.close();
  }
  return Object.fromEntries(
    keys.map((key) => {
      const rounds = runs.get(key)!;
      return [
        key,
        {
          key,
          name: NAMES[key],
          requestsPerSec: median(rounds.map((r) => r.requestsPerSec)),
          roundsRequestsPerSec: rounds.map((r) => r.requestsPerSec),
          latencyP50Ms: median(rounds.map((r) => r.latencyP50Ms)),
          latencyP99Ms: median(rounds.map((r) => r.latencyP99Ms)),
        },
      ];
    }),
  ) as LeafRouteResults;
}
