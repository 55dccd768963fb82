import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The library's floor plan, checked on its own imports: every file stands on a floor, imports only files of its
 * floor or below, and no import circle exists. The contract, options and errors are the ground floor; backends and
 * integrations stand on them. Floors, bottom up (a file matches the first pattern that fits):
 */
const FLOORS: ReadonlyArray<readonly [floor: string, files: RegExp]> = [
  ['errors', /^errors\//],
  [
    'contract, defaults, wire protocol',
    /^(leaf\.constants|leaf\.defaults|leaf-id-source|store\/.*|protocol\/leaf-protocol)\.ts$/,
  ],
  ['rules: calendar, validation, error answers', /^(calendar|leaf\.options-validation|protocol\/.*)\.ts$/],
  ['codes and period names', /^(codes\/.*|period\/period-names)\.ts$/],
  ['options', /^leaf\.(biz-tags|options)\.ts$/],
  ['segments', /^segment\//],
  ['period tags', /^period\//],
  ['backends', /^(sql|typeorm|pg|mysql|sqlite|prisma|kysely|mikro-orm|redis|http)\//],
  ['gapless numbers', /^gapless\//],
  [
    'generator',
    /^(boot-retry|startup|tag-lookups|tag-registry|reservation-listeners|leaf\.scheduler|id-generator|code-issuer|leaf\.admin|metric-figures)\.ts$/,
  ],
  [
    'module and integrations',
    /^(leaf\.module(-definition)?|leaf-ids|leaf-exception\.filter|bigint\.interceptor|(health|prometheus|otel|server|testing)\/.*)\.ts$/,
  ],
  ['entry', /^index\.ts$/],
  ['command line', /^cli\//],
];

const root = dirname(fileURLToPath(import.meta.url));

/** The files made of TypeORM's decorators, loaded only from `nest-leaf/typeorm`: the root must not reach them. */
const TYPEORM_DECORATORS = ['typeorm/leaf-alloc.entity.ts', 'typeorm/leaf-id.decorator.ts'];

function sources(dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.ts$/.test(entry.name) && !/\.spec(-helpers)?\.ts$|\.spec\.ts$/.test(entry.name)
      ? [relative(root, path)]
      : [];
  });
}

/** The library files a file imports (static, `export … from`, and `import()`), by path from the library root. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
  return importedFiles
    .map(({ fileName }) => fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => normalize(join(dirname(file), name)).replace(/\.js$/, '.ts'));
}

function floorOf(file: string): number {
  const floor = FLOORS.findIndex(([, files]) => files.test(file));
  if (floor < 0) throw new Error(`${file} stands on no floor: add it to FLOORS in floor-plan.spec.ts`);
  return floor;
}

describe('the floor plan of libs/leaf/src', () => {
  const files = sources();
  const graph = new Map(files.map((file) => [file, importsOf(file)]));

  it('puts every file on a floor, and no import runs from a lower floor to a higher one', () => {
    const upward = files.flatMap((file) =>
      graph
        .get(file)!
        .filter((target) => floorOf(target) > floorOf(file))
        .map((target) => `${file} (${FLOORS[floorOf(file)][0]}) -> ${target} (${FLOORS[floorOf(target)][0]})`),
    );
    expect(upward).toEqual([]);
  });

  it('has no import circle', () => {
    // Depth-first search; a file met again while still on the path closes a circle.
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (file: string): void => {
      state.set(file, 'open');
      path.push(file);
      for (const target of graph.get(file) ?? []) {
        if (state.get(target) === 'open') circles.push([...path.slice(path.indexOf(target)), target].join(' -> '));
        else if (!state.has(target)) visit(target);
      }
      path.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(circles).toEqual([]);
  });

  it('keeps every library file under about 250 lines', () => {
    const long = files
      .map((file) => [file, readFileSync(join(root, file), 'utf8').split('\n').length - 1] as const)
      .filter(([, lines]) => lines > 255);
    expect(long).toEqual([]);
  });

  it('maps every library file to its behaviour in docs/design.md', () => {
    const design = readFileSync(join(root, '..', '..', '..', 'docs', 'design.md'), 'utf8');
    expect(files.filter((file) => !design.includes(`\`${file}\``))).toEqual([]);
  });

  it('imports nothing of TypeORM outside typeorm/ (an optional peer), and only types there but in the entity', () => {
    const runtime = files.filter((file) => {
      const text = readFileSync(join(root, file), 'utf8');
      const imports = [...text.matchAll(/^import (type )?[^;]*from '(typeorm|@nestjs\/typeorm)';/gm)];
      return imports.some(([, type]) => type === undefined) && !TYPEORM_DECORATORS.includes(file);
    });
    expect(runtime).toEqual([]);
  });

  it('reaches none of the files made of TypeORM decorators from the root entry', () => {
    const reached = new Set<string>();
    const visit = (file: string): void => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const target of graph.get(file) ?? []) visit(target);
    };
    visit('index.ts');
    expect(TYPEORM_DECORATORS.filter((file) => reached.has(file))).toEqual([]);
  });
});
