import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface, type Interface } from 'node:readline';
import ts from 'typescript';

/**
 * `nest add nest-leaf` on a virtual Nest 12 app, run from the collection as the package ships it: the CommonJS the
 * build emits from the `.cts` sources, loaded by the schematics engine (SchematicTestRunner, in
 * nest-add.spec-runner.cjs) through collection.json.
 */
const schematics = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(schematics, '..', '..', '..');

/**
 * The collection laid out as in the package, under node_modules so its requires resolve as in an app. Each file is
 * transpiled alone (`npm run typecheck` type-checks them): the package build's CommonJS, in a second, not thirty.
 */
function buildCollection(): string {
  mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
  const out = mkdtempSync(join(root, 'node_modules', '.cache', 'nest-leaf-schematic-spec-'));
  const config = ts.getParsedCommandLineOfConfigFile(
    join(schematics, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail(d) },
  )!;
  for (const file of config.fileNames) {
    const { outputText, diagnostics } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: config.options,
      fileName: file,
      reportDiagnostics: true,
    });
    if (diagnostics?.length) fail(diagnostics[0]);
    const target = join(out, 'dist', 'schematics', relative(schematics, file).replace(/\.cts$/, '.cjs'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  mkdirSync(join(out, 'schematics', 'nest-add'), { recursive: true });
  copyFileSync(join(schematics, 'collection.json'), join(out, 'schematics', 'collection.json'));
  copyFileSync(join(schematics, 'nest-add', 'schema.json'), join(out, 'schematics', 'nest-add', 'schema.json'));
  return out;
}

function fail(diagnostic: ts.Diagnostic): never {
  throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

/** What `nest new` (CLI 12) writes in src/ and package.json, trimmed to what the schematic reads. */
const NEW_APP: Record<string, string> = {
  '/package.json': `${JSON.stringify(
    {
      name: 'new-app',
      private: true,
      type: 'module',
      dependencies: { '@nestjs/common': '^12.0.1', '@nestjs/core': '^12.0.1', 'nest-leaf': '^0.1.0' },
      devDependencies: { '@nestjs/cli': '^12.0.0', typescript: '^6.0.2' },
    },
    null,
    2,
  )}\n`,
  '/src/app.module.ts': `import { Module } from '@nestjs/common';
import { AppController } from './app.controller.js';
import { AppService } from './app.service.js';

@Module({
  imports: [],
  controllers: [AppController],
  providers: [AppService],
})
export class AppModule {}
`,
  '/src/main.ts': `import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  await app.listen(process.env.PORT ?? 3000);
}
await bootstrap();
`,
};

function appTree(files: Record<string, string> = {}): Tree {
  return { ...NEW_APP, ...files };
}

/** A virtual tree: file path to content. */
type Tree = Record<string, string>;

/** The tree after a run, what it printed (info and warnings) and the tasks it scheduled. */
interface Run {
  tree: Tree;
  messages: string[];
  tasks: { name: string; options?: unknown }[];
}

describe('nest add nest-leaf (the nest-add schematic)', () => {
  let out: string;
  let runner: ChildProcess;
  let lines: Interface;

  beforeAll(() => {
    out = buildCollection();
    runner = spawn(process.execPath, [join(schematics, 'nest-add', 'nest-add.spec-runner.cjs')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    lines = createInterface({ input: runner.stdout! });
  }, 60_000);

  afterAll(() => {
    runner?.kill();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  async function run(options: object, tree: Tree): Promise<Run> {
    const answer = once(lines, 'line') as Promise<[string]>;
    runner.stdin!.write(
      `${JSON.stringify({ collection: join(out, 'schematics', 'collection.json'), options, files: tree })}\n`,
    );
    const result = JSON.parse((await answer)[0]) as {
      files: Tree;
      messages: string[];
      tasks: Run['tasks'];
      error?: string;
    };
    if (result.error !== undefined) throw new Error(result.error);
    return { tree: result.files, messages: result.messages, tasks: result.tasks };
  }

  function syntaxErrors(tree: Tree): string[] {
    return Object.keys(tree)
      .filter((path) => path.endsWith('.ts'))
      .flatMap((path) => {
        const { diagnostics } = ts.transpileModule(tree[path], { reportDiagnostics: true, fileName: path });
        return (diagnostics ?? []).map((d) => `${path}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
      });
  }

  it('turns a new app into one that serves IDs on an SQLite file: module, example, main, dependencies', async () => {
    const { tree, tasks } = await run({ tags: 'order,invoice' }, appTree());

    expect(tree['/src/app.module.ts']).toBe(`import { Module } from '@nestjs/common';
import { AppController } from './app.controller.js';
import { AppService } from './app.service.js';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LeafAllocMigration } from 'nest-leaf/typeorm';
import { LeafModule } from 'nest-leaf';
import { IdsService } from './ids/ids.service.js';
import { IdsController } from './ids/ids.controller.js';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'better-sqlite3',
      database: process.env.SQLITE_FILE ?? 'ids.sqlite',
      migrations: [LeafAllocMigration],
      migrationsRun: true,
    }),
    LeafModule.forRoot({ bizTags: ['order', 'invoice'] }),
  ],
  controllers: [AppController, IdsController],
  providers: [AppService, IdsService],
})
export class AppModule {}
`);
    expect(tree['/src/ids/ids.service.ts']).toContain("return { id: await this.ids.nextId('order') };");
    expect(tree['/src/ids/ids.service.ts']).toContain('@Inject(IdGenerator) private readonly ids: IdGenerator');
    expect(tree['/src/ids/ids.controller.ts']).toContain("from './ids.service.js';");
    expect(tree['/src/main.ts']).toContain(
      '  const app = await NestFactory.create(AppModule);\n  app.enableShutdownHooks();\n',
    );
    const manifest = JSON.parse(tree['/package.json']) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).toEqual([
      '@nestjs/common',
      '@nestjs/core',
      '@nestjs/typeorm',
      'better-sqlite3',
      'nest-leaf',
      'typeorm',
    ]);
    expect(tasks).toEqual([
      expect.objectContaining({
        name: 'node-package',
        options: expect.objectContaining({ command: 'install', allowScripts: true }),
      }),
    ]);
    expect(syntaxErrors(tree)).toEqual([]);
  });

  it('changes nothing and installs nothing when run a second time', async () => {
    const first = await run({ tags: 'order,invoice' }, appTree());
    const before = { ...first.tree };
    const second = await run({ tags: 'order,invoice' }, first.tree);
    expect(second.tree).toEqual(before);
    expect(second.tasks).toEqual([]);
    expect(second.messages).toContain(
      'info: nest-leaf: /src/app.module.ts already imports LeafModule; its tags are left as they are',
    );
  });

  it('creates the arrays a bare @Module({}) lacks', async () => {
    const bare = "import { Module } from '@nestjs/common';\n\n@Module({})\nexport class AppModule {}\n";
    const { tree } = await run({}, appTree({ '/src/app.module.ts': bare }));
    const module = tree['/src/app.module.ts'];
    expect(module).toMatch(
      /imports: \[TypeOrmModule\.forRoot\(\{[\s\S]*\}\), LeafModule\.forRoot\(\{ bizTags: \['order'\] \}\)\],/,
    );
    expect(module).toContain('\n  providers: [IdsService],\n  controllers: [IdsController],\n})');
    expect(syntaxErrors(tree)).toEqual([]);
  });

  it('adds no example with --skip-example', async () => {
    const { tree } = await run({ tags: 'invoice', skipExample: true }, appTree());
    expect('/src/ids/ids.service.ts' in tree).toBe(false);
    expect('/src/ids/ids.controller.ts' in tree).toBe(false);
    const module = tree['/src/app.module.ts'];
    expect(module).not.toContain('Ids');
    expect(module).toContain("LeafModule.forRoot({ bizTags: ['invoice'] })");
  });

  it("adds the migration to the app's own TypeORM set-up, and no SQLite", async () => {
    const { tree, tasks } = await run(
      {},
      appTree({
        '/src/app.module.ts': `import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Invoice } from './invoice.entity';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: process.env.DATABASE_URL,
      entities: [Invoice],
      migrations: ['dist/migrations/*.js'],
    }),
  ],
})
export class AppModule {}
`,
      }),
    );
    expect(tree['/src/app.module.ts']).toBe(`import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Invoice } from './invoice.entity';
import { LeafAllocMigration } from 'nest-leaf/typeorm';
import { LeafModule } from 'nest-leaf';
import { IdsService } from './ids/ids.service';
import { IdsController } from './ids/ids.controller';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: process.env.DATABASE_URL,
      entities: [Invoice],
      migrations: ['dist/migrations/*.js', LeafAllocMigration],
      migrationsRun: true,
    }),
    LeafModule.forRoot({ bizTags: ['order'] }),
  ],
  providers: [IdsService],
  controllers: [IdsController],
})
export class AppModule {}
`);
    expect(tree['/src/ids/ids.controller.ts']).toContain("from './ids.service';");
    expect(JSON.parse(tree['/package.json']).dependencies).not.toHaveProperty('better-sqlite3');
    expect(tasks).toEqual([]);
  });

  it('edits a forRootAsync factory in another file of the app', async () => {
    const database = `import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({ type: 'mysql', url: config.get('DATABASE_URL') }),
    }),
  ],
})
export class DatabaseModule {}
`;
    const { tree } = await run({ skipExample: true }, appTree({ '/src/database/database.module.ts': database }));
    expect(tree['/src/database/database.module.ts']).toContain(
      "useFactory: (config: ConfigService) => ({ type: 'mysql', url: config.get('DATABASE_URL'), migrations: [LeafAllocMigration], migrationsRun: true }),",
    );
    expect(tree['/src/database/database.module.ts']).toContain(
      "import { LeafAllocMigration } from 'nest-leaf/typeorm';",
    );
    expect(tree['/src/app.module.ts']).not.toContain('TypeOrmModule');
  });

  it('says what to add when the TypeORM options are not written in place, and leaves them alone', async () => {
    const module = NEW_APP['/src/app.module.ts']
      .replace('imports: []', 'imports: [TypeOrmModule.forRoot(ormConfig)]')
      .replace(
        "import { Module } from '@nestjs/common';",
        "import { Module } from '@nestjs/common';\nimport { TypeOrmModule } from '@nestjs/typeorm';\nimport { ormConfig } from './orm.config.js';",
      );
    const { tree, messages } = await run({ skipExample: true }, appTree({ '/src/app.module.ts': module }));
    expect(tree['/src/app.module.ts']).toContain('imports: [TypeOrmModule.forRoot(ormConfig), LeafModule.forRoot(');
    expect(messages).toContain(
      "warn: nest-leaf: add by hand `migrations: [LeafAllocMigration], migrationsRun: true` in the options of TypeOrmModule.forRoot (/src/app.module.ts), and import { LeafAllocMigration } from 'nest-leaf/typeorm';",
    );
  });

  it('prints the TypeORM set-up to add with --skip-database, and adds none', async () => {
    const { tree, messages, tasks } = await run({ skipDatabase: true }, appTree());
    expect(tree['/src/app.module.ts']).not.toContain('TypeOrmModule');
    expect(
      messages.some((line) => line.startsWith('warn: nest-leaf: no TypeOrmModule.forRoot found (--skip-database)')),
    ).toBe(true);
    expect(tasks).toEqual([]);
  });

  it('refuses an empty tag list and a missing module before it changes anything', async () => {
    await expect(run({ tags: ' , ' }, appTree())).rejects.toThrow('--tags names no tag');
    await expect(run({ module: 'main.module.ts' }, appTree())).rejects.toThrow(
      '/src/main.module.ts does not exist; name the root module with --module',
    );
  });
});
