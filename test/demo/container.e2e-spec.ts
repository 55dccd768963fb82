import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { freshDatabase, mysqlDemoEnv, type TestDatabase } from '../../harness/mariadb.js';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
const compose = parse(read('docker-compose.yml')) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};

/** The demo's environment as Compose gives it on a host that sets none of the `${NAME:-default}` variables. */
function composeDemoEnvironment(): Record<string, string> {
  const environment = Object.entries(compose.services.demo.environment ?? {});
  return Object.fromEntries(environment.map(([name, value]) => [name, value.replace(/\$\{\w+:-([^}]*)\}/g, '$1')]));
}

/** The Dockerfile's stages: base image and instructions, in order. */
function dockerfileStages(): Array<{ from: string; name?: string; lines: string[] }> {
  const stages: Array<{ from: string; name?: string; lines: string[] }> = [];
  const instructions = read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  for (const line of instructions) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ from: from[1], name: from[2], lines: [] });
    else stages.at(-1)!.lines.push(line);
  }
  return stages;
}

describe('docker-compose.yml and Dockerfile', () => {
  it('is a valid Compose file for docker-compose', () => {
    const result = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (result.error)
      throw new Error(`docker-compose is not installed (apt-get install -y docker-compose): ${result.error.message}`);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('runs MySQL 8.4 with a healthcheck and a named volume, and starts the demo once MySQL is healthy', () => {
    const { mysql, demo } = compose.services;
    expect(mysql.image).toBe('mysql:8.4');
    expect(mysql.healthcheck?.test.join(' ')).toContain('mysqladmin ping');
    const [volume] = mysql.volumes ?? [];
    expect(volume).toMatch(/^[a-z][\w-]*:\/var\/lib\/mysql$/);
    expect(Object.keys(compose.volumes)).toContain(volume.split(':')[0]);

    expect(demo.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    expect(demo.depends_on).toEqual({ mysql: { condition: 'service_healthy' } });
    expect(demo.ports).toEqual(['3000:3000']);
    expect(demo.environment).toEqual(
      expect.objectContaining({
        DB_TYPE: 'mysql',
        DB_HOST: 'mysql',
        DB_USER: mysql.environment?.MYSQL_USER,
        DB_PASSWORD: mysql.environment?.MYSQL_PASSWORD,
        DB_NAME: mysql.environment?.MYSQL_DATABASE,
        PORT: '3000',
      }),
    );
  });

  it('builds in a Node 20 stage with npm ci and runs in a slim stage as an unprivileged user', () => {
    const stages = dockerfileStages();
    expect(stages).toHaveLength(2);
    const [build, runtime] = stages;
    expect(build.from).toMatch(/^node:20(-|$)/);
    expect(build.lines).toEqual(expect.arrayContaining(['RUN npm ci', 'RUN npm run build && npm prune --omit=dev']));
    expect(runtime.from).toBe('node:20-bookworm-slim');
    const user = runtime.lines.filter((line) => line.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER\s+(root|0)(:|$)/);
    expect(runtime.lines.at(-1)).toBe('CMD ["node", "dist/apps/demo/main.js"]');
    const ignored = read('.dockerignore').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
  });
});

describe("the container's start command", () => {
  let db: TestDatabase;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(() => {
    // The image builds with `npm run build`; so does this test, on the same sources.
    const build = spawnSync(
      process.execPath,
      ['node_modules/typescript/bin/tsc', '-b', 'apps/demo/tsconfig.app.json'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await db?.close();
  });

  it('serves on MariaDB, then exits 0 on SIGTERM after finishing the request in flight', async () => {
    db = await freshDatabase('demo_container', { withTable: false });
    const runtime = dockerfileStages().at(-1)!;
    const command = JSON.parse(runtime.lines.at(-1)!.replace(/^CMD\s+/, '')) as string[];
    const imageEnv = Object.fromEntries(
      runtime.lines
        .filter((line) => line.startsWith('ENV '))
        .flatMap((line) => line.slice(4).trim().split(/\s+/))
        .map((pair) => pair.split('=') as [string, string]),
    );
    const port = await freePort();
    const env = {
      PATH: process.env.PATH,
      ...imageEnv,
      ...composeDemoEnvironment(),
      // The compose file's database, moved to the local MariaDB and a database of this test's own.
      ...mysqlDemoEnv(db.name),
      PORT: String(port),
    };
    const url = `http://127.0.0.1:${port}`;

    child = spawn(command[0], command.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child!.on('exit', (code, signal) => resolve({ code, signal })),
    );

    await waitForReady(`${url}/health/ready`, child, () => output);

    const created = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ customer: 'container', amountCents: 1200, currency: 'EUR' }),
    });
    expect(created.status).toBe(201);
    const order = (await created.json()) as { id: string };
    const stored = await db.query<Array<{ id: string }>>('SELECT CAST(id AS CHAR) AS id FROM orders');
    expect(stored).toEqual([{ id: order.id }]);

    // A request whose body is half sent when SIGTERM arrives must still be answered, with a stored order.
    const body = JSON.stringify({ customer: 'in flight at SIGTERM', amountCents: 1, currency: 'EUR' });
    const inFlight = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(`${url}/orders`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      });
      req.on('error', reject);
      req.write(body.slice(0, 8));
      setTimeout(() => {
        child!.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(8)), 300);
      }, 200);
    });

    const answer = await inFlight;
    expect(answer.status).toBe(201);
    const { code, signal } = await exited;
    expect({ code, signal, output: code === 0 ? '' : output }).toEqual({ code: 0, signal: null, output: '' });
    const rows = await db.query<Array<{ n: string }>>(
      "SELECT COUNT(*) AS n FROM orders WHERE customer = 'in flight at SIGTERM'",
    );
    expect(rows[0].n).toBe('1');
    expect(output).toContain('waiting for 1 request(s) in flight');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForReady(url: string, child: ChildProcess, output: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`The demo exited with ${child.exitCode} before it was ready:\n${output()}`);
    const status = await fetch(url).then(
      (res) => res.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
