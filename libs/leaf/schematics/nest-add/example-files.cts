// The example a new user starts from: a service that takes IDs from IdGenerator and a route that answers them, so the
// app serves an ID right after `nest add` (POST /ids).
import type { Tree } from '@angular-devkit/schematics';
import { posix } from 'node:path';
import { quote } from './source-edits.cjs';

export const EXAMPLE_FOLDER = 'ids';

/** `.js` when the app's own relative imports carry it (Nest 12's ES-module apps), nothing otherwise. */
export function importSuffix(moduleText: string): string {
  return /from\s+['"]\.{1,2}\/[^'"]+\.js['"]/.test(moduleText) ? '.js' : '';
}

function serviceSource(tag: string): string {
  return `import { Inject, Injectable } from '@nestjs/common';
import { IdGenerator } from 'nest-leaf';

/** IDs of ${quote(tag)}: unique and increasing across every instance of the app, served from memory by nest-leaf. */
@Injectable()
export class IdsService {
  constructor(@Inject(IdGenerator) private readonly ids: IdGenerator) {}

  /** The next ID: 1n, 2n, 3n, … Keep it a bigint; past 2^53 it does not fit a number. */
  async next(): Promise<{ id: bigint }> {
    return { id: await this.ids.nextId(${quote(tag)}) };
  }
}
`;
}

function controllerSource(suffix: string): string {
  return `import { Controller, Inject, Post, UseInterceptors } from '@nestjs/common';
import { BigIntInterceptor } from 'nest-leaf';
import { IdsService } from './ids.service${suffix}';

@Controller('ids')
@UseInterceptors(BigIntInterceptor) // JSON has no bigint: IDs are answered as decimal strings
export class IdsController {
  constructor(@Inject(IdsService) private readonly ids: IdsService) {}

  /** POST /ids answers 201 {"id":"1"}, then "2", … */
  @Post()
  next(): Promise<{ id: bigint }> {
    return this.ids.next();
  }
}
`;
}

/** The example's files, created when missing (a file the user already has is left alone); the paths created. */
export function writeExample(tree: Tree, sourceRoot: string, tag: string, suffix: string): string[] {
  const folder = posix.join(sourceRoot, EXAMPLE_FOLDER);
  const files: Array<[string, string]> = [
    [posix.join(folder, 'ids.service.ts'), serviceSource(tag)],
    [posix.join(folder, 'ids.controller.ts'), controllerSource(suffix)],
  ];
  return files.filter(([path]) => !tree.exists(path)).map(([path, text]) => (tree.create(path, text), path));
}

/** The example's import path seen from the module, e.g. `./ids/ids.service.js`. */
export function examplePath(modulePath: string, sourceRoot: string, file: string, suffix: string): string {
  const relative = posix.relative(posix.dirname(modulePath), posix.join(sourceRoot, EXAMPLE_FOLDER, file));
  return `${relative.startsWith('.') ? '' : './'}${relative}${suffix}`;
}
