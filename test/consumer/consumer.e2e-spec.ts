import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freshDatabase, MYSQL, type TestDatabase } from '../../harness/mariadb.js';
import { REDIS } from '../../harness/redis.js';
import { freshPostgres, POSTGRES } from '../support/demo/postgres.js';
import { LAYERS_DOC_REQUIRED, readmeFiles, SERVER_DOC_REQUIRED } from './readme-files.js';

/**
 * What a Nest team does with the package: `npm pack` it, install the tarball into a new TypeScript app outside the
 * repository, type-check the README's code against the published declarations, and run it on SQLite and MariaDB.
 */
const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const harness = join(root, 'test', 'consumer', 'app');
const MINUTES = 60_000;

/** The host's dependencies, at the versions the workspace uses, so npm serves them from its cache. */
const HOST_DEPENDENCIES = [
  '@nestjs/common',
  '@nestjs/config',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/terminus',
  '@nestjs/typeorm',
  'better-sqlite3',
  'mysql2',
  'prom-client',
  'reflect-metadata',
  'rxjs',
  'typeorm',
];
const HOST_DEV_DEPENDENCIES = [
  '@jest/globals',
  '@nestjs/testing',
  // nest-leaf/otel's optional peer, and the SDK of the README's instrumentation.ts
  '@opentelemetry/api',
  '@opentelemetry/exporter-prometheus',
  '@opentelemetry/sdk-metrics',
  '@types/jest',
  '@types/node',
  'jest',
  'ts-jest',
  'typescript',
];
/** An app on Redis and an ID server: no TypeORM at all. */
const BARE_DEPENDENCIES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  'ioredis',
  'reflect-metadata',
  'rxjs',
];
const BARE_DEV_DEPENDENCIES = ['@types/node', 'typescript'];
/** A CommonJS app (the classic Nest template) with the README's service and its spec. */
const CJS_DEPENDENCIES = ['@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs'];
const CJS_DEV_DEPENDENCIES = ['@nestjs/testing', '@types/jest', '@types/node', 'jest', 'ts-jest', 'typescript'];

/** Apps on pg, Prisma and Drizzle (docs/data-layers.md): no TypeORM either. */
const LAYERS_DEPENDENCIES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@prisma/adapter-pg',
  '@prisma/client',
  'drizzle-orm',
  'pg',
  'reflect-metadata',
  'rxjs',
];
const LAYERS_DEV_DEPENDENCIES = [
  '@jest/globals',
  '@nestjs/testing',
  '@types/jest',
  '@types/node',
  '@types/pg',
  'jest',
  'prisma',
  'ts-jest',
  'typescript',
];

/** The workspace's versions of `names`, so npm serves them from its cache. */
function pick(names: readonly string[]): Record<string, string> {
  const { dependencies, devDependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  return Object.fromEntries(names.map((name) => [name, dependencies[name] ?? devDependencies[name]]));
}

/** The published package's manifest. */
function libraryManifest(): { exports: Record<string, unknown> } {
  return JSON.parse(readFileSync(join(root, 'libs', 'leaf', 'package.json'), 'utf8')) as {
    exports: Record<string, unknown>;
  };
}

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number; mode: number }[];
}

interface ConsumerRun {
  node: string;
  idTypes: string[];
  ids: string[];
  lines: { count: number; increasing: boolean };
  unknown: string;
  created: { status: number; body: unknown };
  health: { status: number; body: { status: string; info: Record<string, { running: boolean; tags: object }> } };
  metrics: { status: number; issued: string[] };
  specs: { name: string; ok: boolean; error?: string }[];
}

describe('nest-leaf installed from its tarball into a new app', () => {
  let scratch: string;
  let pack: PackResult;
  let database: TestDatabase;
  let serverDatabase: TestDatabase;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'nest-leaf-consumer-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', scratch], {
      cwd: join(root, 'libs', 'leaf'),
      maxBuffer: 16 * 1024 * 1024,
    });
    [pack] = JSON.parse(stdout.slice(stdout.indexOf('['))) as PackResult[];

    const app = join(scratch, 'app');
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'consumer-app',
        private: true,
        type: 'module',
        dependencies: { 'nest-leaf': `file:../${pack.filename}`, ...pick(HOST_DEPENDENCIES) },
        devDependencies: pick(HOST_DEV_DEPENDENCIES),
        allowScripts: { 'better-sqlite3': true },
      }),
    );
    // No download of a prebuilt binary: better-sqlite3 builds from its source, as in the workspace.
    copyFileSync(join(root, '.prebuild-installrc'), join(app, '.prebuild-installrc'));
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: app,
      maxBuffer: 16 * 1024 * 1024,
    });

    const serverDoc = readFileSync(join(root, 'docs', 'server.md'), 'utf8');
    for (const [path, code] of [
      ...readmeFiles(readFileSync(join(root, 'README.md'), 'utf8')),
      ...readmeFiles(serverDoc, SERVER_DOC_REQUIRED),
    ]) {
      writeFileSync(join(app, path), code);
    }
    for (const file of ['main.ts', 'server-main.ts', 'sqlite-app.module.ts', 'spec-runner.ts']) {
      copyFileSync(join(harness, file), join(app, 'src', file));
    }
    copyFileSync(join(harness, 'tsconfig.json'), join(app, 'tsconfig.json'));

    const bare = join(scratch, 'bare');
    mkdirSync(join(bare, 'src'), { recursive: true });
    writeFileSync(
      join(bare, 'package.json'),
      JSON.stringify({
        name: 'consumer-bare',
        private: true,
        type: 'module',
        dependencies: {
          'nest-leaf': `file:../${pack.filename}`,
          ...pick(BARE_DEPENDENCIES),
        },
        devDependencies: pick(BARE_DEV_DEPENDENCIES),
      }),
    );
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: bare,
      maxBuffer: 16 * 1024 * 1024,
    });
    copyFileSync(join(root, 'test', 'consumer', 'bare', 'main.ts'), join(bare, 'src', 'main.ts'));
    copyFileSync(join(root, 'test', 'consumer', 'bare', 'tsconfig.json'), join(bare, 'tsconfig.json'));
    database = await freshDatabase('consumer', { withTable: false });
    serverDatabase = await freshDatabase('consumer_server', { withTable: false });
  }, 12 * MINUTES);

  afterAll(async () => {
    await database?.close();
    await serverDatabase?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('packs ESM JavaScript, declarations, the nest-add schematic, the README and the LICENSE, and nothing else', () => {
    const paths = pack.files.map((file) => file.path).sort();
    const unexpected = paths.filter(
      (path) =>
        !/^(package\.json|README\.md|LICENSE|dist\/.+\.(js|d\.ts)|dist\/schematics\/.+\.cjs|schematics\/(collection|[a-z-]+\/schema)\.json)$/.test(
          path,
        ) || /\.spec\./.test(path),
    );
    expect(unexpected).toEqual([]);
    const subpaths = Object.keys(libraryManifest().exports).filter((key) => key !== './package.json');
    for (const entry of subpaths.map((key) => (key === '.' ? '' : `${key.slice(2)}/`))) {
      expect(paths).toContain(`dist/${entry}index.js`);
      expect(paths).toContain(`dist/${entry}index.d.ts`);
    }
    const readme = readFileSync(join(root, 'libs', 'leaf', 'README.md'), 'utf8');
    expect(readme).toContain('npm install nest-leaf');
    expect(readme).not.toContain('<!-- repository -->');
    console.log(`${pack.filename}: ${paths.length} files, ${pack.size} bytes packed, ${pack.unpackedSize} unpacked`);
  });

  it('declares the types of every subpath for classic resolution too (typesVersions)', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'libs', 'leaf', 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
      typesVersions: { '*': Record<string, string[]> };
    };
    const subpaths = Object.keys(manifest.exports)
      .filter((key) => key.startsWith('./') && key !== './package.json')
      .map((key) => key.slice(2));
    expect(Object.keys(manifest.typesVersions['*']).sort()).toEqual(subpaths.sort());
  });

  it(
    'type-checks every subpath in a CommonJS app (module commonjs, moduleResolution node10)',
    async () => {
      const app = join(scratch, 'app');
      const subpaths = Object.keys(libraryManifest().exports)
        .filter((key) => key.startsWith('./') && key !== './package.json')
        .map((key) => key.slice(2));
      expect(subpaths).toEqual(expect.arrayContaining(['health', 'prometheus', 'redis', 'testing', 'typeorm']));
      mkdirSync(join(app, 'cjs'), { recursive: true });
      writeFileSync(
        join(app, 'cjs', 'index.ts'),
        [
          "import { IdGenerator } from 'nest-leaf';",
          ...subpaths.map((name, i) => `import * as sub${i} from 'nest-leaf/${name}';`),
          `export const loaded: object[] = [IdGenerator, ${subpaths.map((_, i) => `sub${i}`).join(', ')}];`,
        ].join('\n'),
      );
      writeFileSync(
        join(app, 'cjs', 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'commonjs',
            moduleResolution: 'node10',
            ignoreDeprecations: '6.0',
            target: 'ES2023',
            strict: true,
            esModuleInterop: true,
            skipLibCheck: true,
            noEmit: true,
            types: ['node'],
          },
          files: ['index.ts'],
        }),
      );
      const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
      await expect(run(process.execPath, [tsc, '-p', 'cjs/tsconfig.json'], { cwd: app })).resolves.toBeDefined();
    },
    3 * MINUTES,
  );

  it(
    "runs the README's spec with Jest in its ESM mode, configured as the README says",
    async () => {
      const app = join(scratch, 'app');
      const jest = join(app, 'node_modules', 'jest', 'bin', 'jest.js');
      const { stdout, stderr } = await run(process.execPath, ['--experimental-vm-modules', jest, '--ci'], {
        cwd: app,
        env: { PATH: process.env.PATH },
        timeout: 120_000,
      });
      expect(`${stdout}${stderr}`).toMatch(/Tests:\s+2 passed, 2 total/);
    },
    3 * MINUTES,
  );

  it(
    `runs the README's spec in a CommonJS app with the README's CommonJS Jest set-up (Node 24.9+; ${process.version} here)`,
    async () => {
      const app = join(scratch, 'cjs-app');
      mkdirSync(join(app, 'src'), { recursive: true });
      writeFileSync(
        join(app, 'package.json'),
        JSON.stringify({
          name: 'consumer-cjs-app',
          private: true,
          dependencies: { 'nest-leaf': `file:../${pack.filename}`, ...pick(CJS_DEPENDENCIES) },
          devDependencies: pick(CJS_DEV_DEPENDENCIES),
        }),
      );
      await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], {
        cwd: app,
        maxBuffer: 16 * 1024 * 1024,
      });
      const readme = readFileSync(join(root, 'README.md'), 'utf8');
      const files = new Map([...readmeFiles(readme), ...readmeFiles(readme, ['jest.config.json'], 'consumer-cjs')]);
      for (const path of ['src/order.service.ts', 'src/order.service.spec.ts', 'jest.config.json']) {
        writeFileSync(join(app, path), files.get(path)!);
      }
      // The classic Nest template's compiler options: CommonJS, node10 resolution.
      writeFileSync(
        join(app, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'commonjs',
            ignoreDeprecations: '6.0',
            target: 'ES2023',
            strict: true,
            esModuleInterop: true,
            experimentalDecorators: true,
            emitDecoratorMetadata: true,
            types: ['node', 'jest'],
          },
          include: ['src/**/*.ts'],
        }),
      );
      const jest = join(app, 'node_modules', 'jest', 'bin', 'jest.js');
      const outcome = await run(process.execPath, ['--experimental-vm-modules', jest, '--ci'], {
        cwd: app,
        env: { PATH: process.env.PATH },
        timeout: 120_000,
      }).then(
        ({ stdout, stderr }) => `${stdout}${stderr}`,
        (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
      );
      const [major, minor] = process.versions.node.split('.').map(Number);
      if (major > 24 || (major === 24 && minor >= 9)) {
        expect(outcome).toMatch(/Tests:\s+2 passed, 2 total/);
      } else {
        // What the README says: Jest cannot require() Nest 12's ES modules before Node 24.9.
        expect(outcome).toMatch(/Must use import to load ES Module/);
      }
    },
    4 * MINUTES,
  );

  it(
    'type-checks the README code against the published declarations',
    async () => {
      const app = join(scratch, 'app');
      const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
      await expect(run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app })).resolves.toBeDefined();
    },
    3 * MINUTES,
  );

  it(
    'installs the bin: npx nest-leaf, executable with its shebang, runs on SQLite from the installed package',
    async () => {
      expect(pack.files.find((file) => file.path === 'dist/cli/main.js')?.mode).toBe(0o755);
      const app = join(scratch, 'app');
      const npx = (...args: string[]) =>
        run('npx', ['--no-install', 'nest-leaf', ...args], { cwd: app, env: { PATH: process.env.PATH } });
      expect((await npx('--help')).stdout).toMatch(/^Usage: npx nest-leaf <command>/);
      const url = `sqlite:${join(scratch, 'cli.sqlite')}`;
      await npx('migrate', '--url', url);
      await npx('create-tag', 'order', '--step', '20', '--url', url);
      const { tags } = JSON.parse((await npx('tags', '--json', '--url', url)).stdout) as { tags: object[] };
      expect(tags).toEqual([expect.objectContaining({ bizTag: 'order', maxId: '1', step: 20 })]);
    },
    2 * MINUTES,
  );

  it(
    'runs on SQLite with its settings from the environment as strings',
    async () => {
      const file = join(scratch, 'ids.sqlite');
      const result = await consumer('main.js', 'sqlite', { SQLITE_FILE: file, LEAF_STEP: '500' });
      expectWorkingApp(result);
      const db = new Database(file, { readonly: true });
      try {
        const row = db
          .prepare("SELECT step, CAST(max_id AS TEXT) AS max_id FROM leaf_alloc WHERE biz_tag = 'order'")
          .get();
        // The step came from LEAF_STEP='500'; graceful shutdown gave the unused tail back.
        expect(row).toEqual({ step: 500, max_id: '4' });
      } finally {
        db.close();
      }
    },
    2 * MINUTES,
  );

  it(
    'runs on MariaDB with the quick start module',
    async () => {
      expectWorkingApp(await consumer('main.js', 'mariadb', { DATABASE_URL: mysqlUrl(database.name) }));
      // The migration created leaf_alloc; graceful shutdown gave the unused tail back.
      expect(await database.maxId('order')).toBe(4n);
    },
    2 * MINUTES,
  );

  it(
    'runs the ID server of docs/server.md on a fresh MariaDB database, and a service on HttpLeafStore through it',
    async () => {
      const tokens = {
        BILLING_TOKEN: 'consumer-billing-token-0123456789',
        SHOP_TOKEN: 'consumer-shop-token-0123456789ab',
        OPS_TOKEN: 'consumer-ops-token-0123456789abcd',
      };
      const result = await consumer<{
        leafGet: { status: number; text: string };
        forbidden: number;
        invoices: string[];
        notAllowed: string;
      }>('server-main.js', undefined, { DATABASE_URL: mysqlUrl(serverDatabase.name), ...tokens });
      expect(result.leafGet).toEqual({ status: 200, text: '1' });
      expect(result.forbidden).toBe(403);
      // The server reserved invoice's first segment for itself at boot: the service's range comes after it.
      expect(result.invoices.map(BigInt)).toEqual([1001n, 1002n]);
      expect(result.notAllowed).toBe('LEAF_FORBIDDEN');
      // The migration created leaf_alloc; both processes gave their tails back on shutdown.
      expect(await serverDatabase.maxId('order')).toBe(2n);
      expect(await serverDatabase.maxId('invoice')).toBe(1003n);
    },
    2 * MINUTES,
  );

  it(
    'installs and runs with neither typeorm nor @nestjs/typeorm: on Redis, and through an ID server with HttpLeafStore',
    async () => {
      const bare = join(scratch, 'bare');
      expect(existsSync(join(bare, 'node_modules', 'typeorm'))).toBe(false);
      expect(existsSync(join(bare, 'node_modules', '@nestjs', 'typeorm'))).toBe(false);
      const tsc = join(bare, 'node_modules', 'typescript', 'bin', 'tsc');
      await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: bare });
      const { stdout } = await run(process.execPath, ['dist/main.js'], {
        cwd: bare,
        env: { PATH: process.env.PATH, REDIS_URL: `redis://${REDIS.host}:${REDIS.port}` },
        timeout: 90_000,
      });
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
        typeormMissing: boolean;
        redisIds: string[];
        httpIds: string[];
        noStore: { code?: string; option?: string; message?: string };
      };
      expect(result.typeormMissing).toBe(true);
      expect(result.redisIds).toEqual(['1', '2']);
      // The server reserved invoice's first segment for itself at boot: the service's range comes after it.
      expect(result.httpIds).toEqual(['1001', '1002']);
      expect(result.noStore).toMatchObject({ code: 'LEAF_INVALID_OPTIONS', option: 'store' });
      expect(result.noStore.message).toMatch(/needs typeorm and @nestjs\/typeorm.*Pass store/);
    },
    3 * MINUTES,
  );

  it(
    'npx nest-leaf in an app without typeorm: works on Redis, and names what to install for SQL (exit 7)',
    async () => {
      const bare = join(scratch, 'bare');
      const npx = (...args: string[]) =>
        run('npx', ['--no-install', 'nest-leaf', ...args, '--json'], { cwd: bare, env: { PATH: process.env.PATH } });
      const redisUrl = `redis://${REDIS.host}:${REDIS.port}`;
      const redis = await npx('tags', '--url', redisUrl, '--key-prefix', 'leaf_test:consumer_cli:');
      expect(JSON.parse(redis.stdout)).toEqual({ connection: redisUrl, tags: [] });
      const sql = await npx('tags', '--url', `sqlite:${join(scratch, 'none.sqlite')}`).then(
        () => ({ code: 0, stdout: '' }),
        (error: { code: number; stdout: string }) => error,
      );
      expect(sql.code).toBe(7);
      expect(JSON.parse(sql.stdout)).toMatchObject({
        error: { code: 'CLI_MISSING_PACKAGE', message: expect.stringContaining('npm install typeorm better-sqlite3') },
      });
    },
    2 * MINUTES,
  );

  it(
    'runs an app on each data layer of docs/data-layers.md (pg, Prisma, Drizzle) with no TypeORM installed, and their specs on LeafTestingModule',
    async () => {
      const app = join(scratch, 'layers');
      mkdirSync(join(app, 'src'), { recursive: true });
      writeFileSync(
        join(app, 'package.json'),
        JSON.stringify({
          name: 'consumer-layers',
          private: true,
          type: 'module',
          dependencies: { 'nest-leaf': `file:../${pack.filename}`, ...pick(LAYERS_DEPENDENCIES) },
          devDependencies: pick(LAYERS_DEV_DEPENDENCIES),
          // Prisma's would download its engines (nothing here needs one); no script here is needed.
          allowScripts: { '@parcel/watcher': false, '@prisma/engines': false, prisma: false },
        }),
      );
      await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], {
        cwd: app,
        maxBuffer: 16 * 1024 * 1024,
      });
      expect(existsSync(join(app, 'node_modules', 'typeorm'))).toBe(false);
      expect(existsSync(join(app, 'node_modules', '@nestjs', 'typeorm'))).toBe(false);

      const doc = readFileSync(join(root, 'docs', 'data-layers.md'), 'utf8');
      const files = new Map([
        ...readmeFiles(
          doc,
          [...LAYERS_DOC_REQUIRED, 'src/prisma/schema.prisma', 'src/drizzle/schema.ts'],
          'consumer-layers',
        ),
        ...readmeFiles(readFileSync(join(root, 'README.md'), 'utf8'), ['jest.config.json']),
      ]);
      for (const path of [
        ...LAYERS_DOC_REQUIRED,
        'src/prisma/schema.prisma',
        'src/drizzle/schema.ts',
        'jest.config.json',
      ]) {
        mkdirSync(dirname(join(app, path)), { recursive: true });
        writeFileSync(join(app, path), files.get(path)!);
      }
      copyFileSync(join(root, 'test', 'consumer', 'layers', 'main.ts'), join(app, 'src', 'main.ts'));
      // skipLibCheck: drizzle-orm 0.45's own declarations do not check under TypeScript 6 (its gel, mysql and
      // singlestore builders); the app's code is checked in full.
      copyFileSync(join(root, 'test', 'consumer', 'layers', 'tsconfig.json'), join(app, 'tsconfig.json'));
      // Offline: generate only checks that a schema engine exists, and never runs it (docs/data-layers.md, Prisma).
      await run(
        process.execPath,
        [join(app, 'node_modules', 'prisma', 'build', 'index.js'), 'generate', '--schema', 'src/prisma/schema.prisma'],
        {
          cwd: app,
          env: {
            PATH: process.env.PATH,
            PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
            PRISMA_HIDE_UPDATE_MESSAGE: '1',
            CHECKPOINT_DISABLE: '1',
          },
        },
      );
      await run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
        cwd: app,
      });

      // The subpaths of a TypeORM-free app, with their declarations checked in full: none reaches typeorm's types.
      mkdirSync(join(app, 'check'), { recursive: true });
      writeFileSync(
        join(app, 'check', 'index.ts'),
        [
          "import * as pg from 'nest-leaf/pg';",
          "import * as prisma from 'nest-leaf/prisma';",
          "import * as testing from 'nest-leaf/testing';",
          'export const loaded: object[] = [pg, prisma, testing];',
        ].join('\n'),
      );
      writeFileSync(
        join(app, 'check', 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'nodenext',
            target: 'ES2023',
            strict: true,
            skipLibCheck: false,
            noEmit: true,
            types: ['node'],
          },
          files: ['index.ts'],
        }),
      );
      await run(
        process.execPath,
        [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'check/tsconfig.json'],
        {
          cwd: app,
        },
      );

      const urls: Record<string, string> = {};
      for (const layer of ['plain-pg', 'prisma', 'drizzle']) {
        const database = await freshPostgres(`consumer_layers_${layer.replace('-', '_')}`);
        await database.close();
        const password = POSTGRES.password ? `:${encodeURIComponent(POSTGRES.password)}` : '';
        urls[layer] = `postgres://${POSTGRES.user}${password}@${POSTGRES.host}:${POSTGRES.port}/${database.name}`;
        const { stdout } = await run(process.execPath, ['dist/main.js', layer], {
          cwd: app,
          env: { PATH: process.env.PATH, DATABASE_URL: urls[layer] },
          timeout: 60_000,
        });
        const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { typeormMissing: boolean; created: unknown[] };
        expect({ layer, ...result }).toEqual({
          layer,
          typeormMissing: true,
          // leaf_alloc's first segment, taken by each layer's own hook, through BigIntInterceptor: strings.
          created: [
            { status: 201, body: { id: '1', total: 10 } },
            { status: 201, body: { id: '2', total: 20 } },
          ],
        });
      }

      // Each app's spec, on its own database: Jest in ESM mode, configured as the README says.
      const jest = join(app, 'node_modules', 'jest', 'bin', 'jest.js');
      for (const layer of ['plain-pg', 'prisma', 'drizzle']) {
        const outcome = await run(process.execPath, ['--experimental-vm-modules', jest, '--ci', `src/${layer}/`], {
          cwd: app,
          env: { PATH: process.env.PATH, DATABASE_URL: urls[layer] },
          timeout: 120_000,
        }).then(
          ({ stdout, stderr }) => `${stdout}${stderr}`,
          (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
        );
        expect({ layer, outcome }).toEqual({ layer, outcome: expect.stringMatching(/Tests:\s+1 passed, 1 total/) });
      }
    },
    5 * MINUTES,
  );

  async function consumer<T = ConsumerRun>(
    entry: string,
    engine: string | undefined,
    env: Record<string, string>,
  ): Promise<T> {
    const app = join(scratch, 'app');
    const { stdout } = await run(process.execPath, [`dist/${entry}`, ...(engine === undefined ? [] : [engine])], {
      cwd: app,
      env: { PATH: process.env.PATH, ...env },
      timeout: 90_000,
    });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
  }
});

function mysqlUrl(database: string): string {
  const password = MYSQL.password ? `:${encodeURIComponent(MYSQL.password)}` : '';
  return `mysql://${MYSQL.user}${password}@${MYSQL.host}:${MYSQL.port}/${database}`;
}

function expectWorkingApp(result: ConsumerRun): void {
  expect(result.node).toBe(process.version);
  expect(result.idTypes).toEqual(['bigint', 'bigint', 'bigint']);
  expect(result.ids).toEqual(['1', '2']);
  expect(result.lines).toEqual({ count: 100, increasing: true });
  expect(result.unknown).toBe('LEAF_UNKNOWN_BIZ_TAG');
  // The README's OrderService through its controller: 201, the ID as a string.
  expect(result.created).toEqual({ status: 201, body: { id: '3' } });
  expect(result.health.status).toBe(200);
  expect(result.health.body.status).toBe('ok');
  expect(result.health.body.info.leaf.running).toBe(true);
  expect(result.metrics.status).toBe(200);
  expect(result.metrics.issued).toContain('leaf_ids_issued_total{tag="order"} 3');
  expect(result.specs).toEqual([
    { name: 'numbers orders from 1', ok: true },
    { name: "runs the app's own LeafModule on an in-memory store, without TypeORM", ok: true },
  ]);
}
