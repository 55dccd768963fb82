import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../support/ports.js';

/**
 * From `nest new` to the first ID with no hand edit: the Nest CLI 12 from the registry generates an ES-module app,
 * the packed nest-leaf is installed into it, `nest add nest-leaf` runs the package's schematic (the CLI's own path:
 * `--skip-install` only because the package comes from the tarball rather than the registry), then the app is built
 * with `nest build` and started, and POST /ids answers IDs from an SQLite file. Minutes long (better-sqlite3 is
 * compiled from source): `npm run test:nest-add`, outside the default suite.
 */
const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MINUTES = 60_000;
const BUFFER = 16 * 1024 * 1024;

/** Every file under `dir` (node_modules, the build and its cache, the database left out), with its content. */
function sources(dir: string, base = dir): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (['node_modules', 'dist', '.git'].includes(name) || /\.(sqlite|tsbuildinfo)$/.test(name)) return [];
      if (statSync(path).isDirectory()) return Object.entries(sources(path, base));
      return [[relative(base, path), readFileSync(path, 'utf8')]];
    }),
  );
}

describe('nest add nest-leaf on an app made by nest new (Nest CLI 12, ES modules)', () => {
  let scratch: string;
  let app: string;
  let nest: string;
  let added: string;
  let afterFirstRun: Record<string, string>;
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'nest-leaf-nest-add-schematic-'));
    const packed = await run('npm', ['pack', '--json', '--pack-destination', scratch], {
      cwd: join(root, 'libs', 'leaf'),
      maxBuffer: BUFFER,
    });
    const [{ filename }] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string }[];

    // The CLI a user runs with npx: outside the app, so nothing of the workspace is in reach.
    const cli = join(scratch, 'cli');
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
    await run(
      'npm',
      ['install', '--prefix', cli, '--prefer-offline', '--no-audit', '--no-fund', '@nestjs/cli@^12.0.0'],
      {
        cwd: scratch,
        maxBuffer: BUFFER,
      },
    );
    nest = join(cli, 'node_modules', '.bin', 'nest');
    await run(nest, ['new', 'app', '--skip-git', '--skip-install', '--package-manager', 'npm'], {
      cwd: scratch,
      maxBuffer: BUFFER,
    });
    app = join(scratch, 'app');
    // No download of a prebuilt binary: better-sqlite3 builds from its source, as in the workspace.
    copyFileSync(join(root, '.prebuild-installrc'), join(app, '.prebuild-installrc'));
    // What `nest add` does first (npm install nest-leaf), from the tarball, with the app's own dependencies.
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(scratch, filename)], {
      cwd: app,
      maxBuffer: BUFFER,
    });

    const { stdout, stderr } = await run(nest, ['add', 'nest-leaf', '--skip-install', '--tags', 'order,invoice'], {
      cwd: app,
      maxBuffer: BUFFER,
      // The schematic's install task runs npm: from the cache when it can, as the installs above.
      env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' },
    });
    added = `${stdout}${stderr}`; // the install task's spinner writes to stderr
    afterFirstRun = sources(app);
  }, 20 * MINUTES);

  afterAll(() => {
    for (const child of running) child.kill('SIGKILL');
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('edits the module, adds the example and the dependencies, and installs them', () => {
    console.log(added);
    expect(added).toContain(
      "nest-leaf: LeafModule.forRoot({ bizTags: ['order', 'invoice'] }) added to /src/app.module.ts",
    );
    expect(added).toContain('Packages installed successfully');
    const module = afterFirstRun['src/app.module.ts'];
    expect(module).toContain("import { LeafModule } from 'nest-leaf';");
    expect(module).toContain("import { IdsController } from './ids/ids.controller.js';");
    expect(module).toContain('migrations: [LeafAllocMigration],');
    expect(afterFirstRun['src/main.ts']).toContain('app.enableShutdownHooks();');
    const { dependencies } = JSON.parse(afterFirstRun['package.json']) as { dependencies: Record<string, string> };
    expect(Object.keys(dependencies)).toEqual(expect.arrayContaining(['@nestjs/typeorm', 'better-sqlite3', 'typeorm']));
    expect(readdirSync(join(app, 'node_modules', 'better-sqlite3', 'build', 'Release'))).toContain(
      'better_sqlite3.node',
    );
  });

  it(
    'builds with nest build and serves IDs over HTTP; a restart goes on where the last run stopped',
    async () => {
      await run('npm', ['run', 'build'], { cwd: app, maxBuffer: BUFFER });
      const sqlite = join(scratch, 'ids.sqlite');

      const start = async (): Promise<{ url: string; child: ChildProcess }> => {
        const port = await freePort();
        const child = spawn(process.execPath, ['dist/main.js'], {
          cwd: app,
          env: { ...process.env, PORT: String(port), SQLITE_FILE: sqlite },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        running.push(child);
        let output = '';
        child.stdout!.on('data', (chunk) => (output += chunk));
        child.stderr!.on('data', (chunk) => (output += chunk));
        const url = `http://127.0.0.1:${port}`;
        for (const deadline = Date.now() + MINUTES; ;) {
          if (child.exitCode !== null) throw new Error(`the app exited (${child.exitCode}):\n${output}`);
          const answer = await fetch(url).catch(() => undefined);
          if (answer?.ok) return { url, child };
          if (Date.now() > deadline) throw new Error(`the app did not answer within a minute:\n${output}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      };
      const post = async (url: string) => {
        const answer = await fetch(`${url}/ids`, { method: 'POST' });
        return { status: answer.status, body: (await answer.json()) as unknown };
      };
      // As an orchestrator stops it; the app's shutdown hooks run, then it ends on the signal.
      const stop = (child: ChildProcess) =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });

      const first = await start();
      expect(await post(first.url)).toEqual({ status: 201, body: { id: '1' } });
      expect(await post(first.url)).toEqual({ status: 201, body: { id: '2' } });
      await stop(first.child);

      // enableShutdownHooks gave the rest of the segment back: the next run hands out 3, not 1001.
      const second = await start();
      expect(await post(second.url)).toEqual({ status: 201, body: { id: '3' } });
      await stop(second.child);
    },
    5 * MINUTES,
  );

  it('changes nothing when run a second time', async () => {
    const { stdout } = await run(nest, ['add', 'nest-leaf', '--skip-install', '--tags', 'order,invoice'], {
      cwd: app,
      maxBuffer: BUFFER,
    });
    expect(stdout).toContain('Nothing to be done.');
    expect(sources(app)).toEqual(afterFirstRun);
  });
});
