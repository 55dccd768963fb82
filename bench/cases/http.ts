import type { BenchCase } from '../case.js';
import { runHttp, type HttpResult } from '../measure/http.js';
import { freshBenchDatabase } from '../support/databases.js';
import { judge, perRound } from '../support/ratio.js';
import { figureColumns, formatCount, formatSpread, renderTable } from '../support/table.js';

/** 6. The demo app over HTTP: GET /ids/order against an empty route of the same app, autocannon in a child. */
export const http: BenchCase<HttpResult> = {
  name: 'http',

  run: async ({ settings, progress }) =>
    runHttp(await freshBenchDatabase('http', { withTable: false }), settings.http, progress),

  ratios: (h) => ({
    httpIdsVsEmpty: judge(
      'http',
      'GET /ids/order / empty route, requests/s',
      perRound(h.routes.ids.roundsRequestsPerSec, h.routes.empty.roundsRequestsPerSec),
      { atLeast: 0.85 },
    ),
  }),

  table(h, { http: s }) {
    return [
      `6. HTTP, the demo app on MariaDB: autocannon in a child process, ${s.connections} connections, ${s.rounds} rounds x ${s.durationS} s per route, interleaved; ${h.waits} waits and ${h.reservations} reservations of 'order' while timed`,
      renderTable(
        figureColumns('route', 'requests/s (median)', 'rounds min – max', 'latency p50 / p99 ms'),
        Object.values(h.routes).map((r) => [
          r.name,
          formatCount(r.requestsPerSec),
          formatSpread(r.roundsRequestsPerSec),
          `${r.latencyP50Ms} / ${r.latencyP99Ms}`,
        ]),
      ),
    ].join('\n');
  },

  json: (h) => Object.values(h.routes).map((r) => ({ ...r, key: `http.${r.key}` })),
};
