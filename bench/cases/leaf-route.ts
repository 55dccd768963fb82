import type { BenchCase } from '../case.js';
import { runLeafRoute, type LeafRouteKey, type LeafRouteResults } from '../measure/leaf-route.js';
import { freshBenchDatabase } from '../support/databases.js';
import { judge, perRound, type Ratio } from '../support/ratio.js';
import { figureColumns, formatCount, formatSpread, renderTable } from '../support/table.js';

/** 7. The ID server: Leaf's route on Fastify and on Express against a bare node:http counter, same autocannon run. */
export const leafRoute: BenchCase<LeafRouteResults> = {
  name: 'leafRoute',

  run: async ({ settings, progress }) =>
    runLeafRoute(await freshBenchDatabase('leaf_route', { withTable: true }), settings.http, progress),

  ratios(r) {
    const ratios: Record<string, Ratio> = {};
    const pair = (key: string, name: string, a: LeafRouteKey, goal?: { atLeast: number }) => {
      const x = r[a];
      const bare = r.bare;
      if (x && bare) {
        ratios[key] = judge('leafRoute', name, perRound(x.roundsRequestsPerSec, bare.roundsRequestsPerSec), goal);
      }
    };
    pair('fastifyVsBare', "Leaf's route on Fastify / bare node:http, requests/s", 'fastify', { atLeast: 0.6 });
    pair('expressVsBare', "Leaf's route on Express / bare node:http, requests/s", 'express');
    return ratios;
  },

  table(r, { http: s }) {
    return [
      `7. The ID server (nest-leaf/server on MariaDB): autocannon in a child process, ${s.connections} connections, ${s.rounds} rounds x ${s.durationS} s per server, interleaved`,
      renderTable(
        figureColumns('server', 'requests/s (median)', 'rounds min – max', 'latency p50 / p99 ms'),
        Object.values(r).map((x) => [
          x.name,
          formatCount(x.requestsPerSec),
          formatSpread(x.roundsRequestsPerSec),
          `${x.latencyP50Ms} / ${x.latencyP99Ms}`,
        ]),
      ),
    ].join('\n');
  },

  json: (r) => Object.values(r).map((x) => ({ ...x, key: `leafRoute.${x.key}` })),
};
