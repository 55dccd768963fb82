// `npm pack` / `npm publish` in libs/leaf run this (prepack): a clean build of the library and its schematic, and the
// README and LICENSE of the repository root, so the package has one source for each and ships nothing stale.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, 'libs', 'leaf');

rmSync(join(pkg, 'dist'), { recursive: true, force: true });
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.build.json')], { stdio: 'inherit' });
// The `nest add` schematic: CommonJS (.cts -> dist/schematics/**/*.cjs), since the schematics engine require()s it.
execFileSync(process.execPath, [tsc, '-p', join(pkg, 'schematics', 'tsconfig.json')], { stdio: 'inherit' });

// The bins (`npx nest-leaf`): executable in the tarball, and starting with their shebang, which tsc keeps.
const { bin } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
for (const file of Object.values(bin ?? {})) {
  const path = join(pkg, file);
  if (!readFileSync(path, 'utf8').startsWith('#!/usr/bin/env node\n')) throw new Error(`${file} has no shebang`);
  chmodSync(path, 0o755);
}

// The root README opens with the commands that run this repository's demo and tests: not a package user's concern.
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const forUsers = readme.replace(/<!-- repository -->[\s\S]*?<!-- \/repository -->\n*/g, '');
if (forUsers === readme)
  throw new Error('README.md has no <!-- repository --> … <!-- /repository --> block to leave out');
writeFileSync(join(pkg, 'README.md'), forUsers);
copyFileSync(join(root, 'LICENSE'), join(pkg, 'LICENSE'));
