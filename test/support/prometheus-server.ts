import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/** Where Debian's `prometheus` package puts the server; LEAF_TEST_PROMETHEUS points elsewhere. */
export const PROMETHEUS_BINARY = process.env.LEAF_TEST_PROMETHEUS ?? '/usr/bin/prometheus';

/** One series of a range query: its labels and its `[unix seconds, value]` points. */
export interface RangeSeries {
  readonly metric: Record<string, string>;
  readonly values: ReadonlyArray<readonly [number, string]>;
}

/** A private Prometheus scraping one target, on loopback, its data in a temporary folder. */
export interface PrometheusServer {
  readonly url: string;
  /** Samples scraped from the target so far (Prometheus' own `up` series counts them). */
  scrapes(): Promise<number>;
  /** `/api/v1/query_range`; throws with Prometheus' own error for a query it refuses. */
  queryRange(query: string, start: number, end: number, stepSeconds: number): Promise<RangeSeries[]>;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus scraping `target` (`host:port`) at `metricsPath` every `intervalSeconds`, and waits until it
 * answers. Listens on 127.0.0.1 only.
 */
export async function startPrometheus(
  target: string,
  metricsPath: string,
  intervalSeconds = 1,
): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'leaf-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      `  scrape_interval: ${intervalSeconds}s`,
      `  scrape_timeout: ${intervalSeconds}s`,
      'scrape_configs:',
      '  - job_name: nest-leaf',
      `    metrics_path: ${metricsPath}`,
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  let failed = false;
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      failed = true;
      log += `${error.message} (install Debian's prometheus package, or set LEAF_TEST_PROMETHEUS)`;
      resolve();
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!failed && child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const api = async (path: string) => {
    const response = await fetch(`${url}${path}`);
    const body = (await response.json()) as { status: string; error?: string; data: { result: RangeSeries[] } };
    if (body.status !== 'success') throw new Error(`Prometheus refused ${path}: ${body.error}`);
    return body.data.result;
  };
  for (let tries = 0; ; tries++) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (failed || child.exitCode !== null || tries > 100) {
      await stop();
      throw new Error(`Prometheus (${PROMETHEUS_BINARY}) did not start:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    async scrapes() {
      const [series] = await api(`/api/v1/query?query=${encodeURIComponent('count_over_time(up[1h])')}`);
      return series === undefined ? 0 : Number((series as unknown as { value: [number, string] }).value[1]);
    },
    queryRange: (query, start, end, step) =>
      api(`/api/v1/query_range?query=${encodeURIComponent(query)}&start=${start}&end=${end}&step=${step}`),
    stop,
  };
}
