// The app's package.json: the packages the new code imports, then one install, as `ng add` schematics do.
import type { SchematicContext, Tree } from '@angular-devkit/schematics';

/**
 * A new SQLite set-up's packages, in the ranges nest-leaf's optional peers accept (TypeORM 1 declares
 * better-sqlite3 ^12 as its peer; 12.x also builds on Node 20).
 */
export const SQLITE_PACKAGES: Readonly<Record<string, string>> = {
  '@nestjs/typeorm': '^12.0.0',
  'better-sqlite3': '^12.0.0',
  typeorm: '^1.0.0',
};

interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** The range of the nest-leaf the schematic comes from, for an app that has not installed it (`--skip-install`). */
export function ownRange(): string {
  // The package's own manifest, reached the way the app reaches it (it exports ./package.json), read when needed.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { version } = require('nest-leaf/package.json') as { version: string };
  return `^${version}`;
}

/** `wanted` added to the dependencies the app does not have yet; the names added. */
export function addDependencies(tree: Tree, wanted: Readonly<Record<string, string>>): string[] {
  if (!tree.exists('/package.json')) return [];
  const text = tree.readText('/package.json');
  const manifest = JSON.parse(text) as Manifest;
  const missing = Object.keys(wanted).filter(
    (name) => manifest.dependencies?.[name] === undefined && manifest.devDependencies?.[name] === undefined,
  );
  if (missing.length === 0) return [];
  const dependencies = { ...manifest.dependencies, ...Object.fromEntries(missing.map((name) => [name, wanted[name]])) };
  // npm keeps the list sorted; so does the schematic, so a later `npm install` rewrites nothing.
  manifest.dependencies = Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => a.localeCompare(b)));
  const indent = /^\{\s*\n([ \t]+)/.exec(text)?.[1] ?? '  ';
  tree.overwrite('/package.json', `${JSON.stringify(manifest, null, indent)}\n`);
  return missing;
}

/**
 * One package-manager install after the schematic. The task comes from the @angular-devkit/schematics the app
 * resolves (a Nest app has it through @nestjs/cli and @nestjs/schematics); without it, the user is told to install.
 */
export function scheduleInstall(context: SchematicContext, allowScripts: boolean): void {
  let tasks: typeof import('@angular-devkit/schematics/tasks');
  try {
    // Loaded here, not imported: the schematic runs without it, and a missing one only means installing by hand.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    tasks = require('@angular-devkit/schematics/tasks') as typeof import('@angular-devkit/schematics/tasks');
  } catch {
    context.logger.warn('nest-leaf: package.json has new dependencies: run your package manager (npm install).');
    return;
  }
  // better-sqlite3 builds its native addon in an install script; the task skips scripts unless told.
  context.addTask(new tasks.NodePackageInstallTask({ allowScripts }));
}
