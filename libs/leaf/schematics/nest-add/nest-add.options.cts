// The options of `nest add nest-leaf`, as schema.json declares them, checked before the app is touched.
import { posix } from 'node:path';

/** What the Nest CLI (or `schematics nest-leaf:nest-add`) passes. */
export interface NestAddOptions {
  tags?: string;
  skipExample?: boolean;
  skipDatabase?: boolean;
  skipInstall?: boolean;
  sourceRoot?: string;
  module?: string;
  sqliteFile?: string;
}

export interface ResolvedNestAddOptions {
  tags: string[];
  skipExample: boolean;
  skipDatabase: boolean;
  skipInstall: boolean;
  sourceRoot: string;
  /** The root module's path in the tree, e.g. `/src/app.module.ts`. */
  modulePath: string;
  sqliteFile: string;
}

/** leaf_alloc.biz_tag is varchar(128); LeafModule checks the rest of a tag's rules at bootstrap. */
const MAX_TAG_LENGTH = 128;

/** A bad option of the schematic, refused before any file changes. */
export class NestAddOptionsError extends Error {
  readonly code = 'NEST_ADD_OPTIONS';

  constructor(message: string) {
    super(`nest add nest-leaf: ${message}`);
    this.name = 'NestAddOptionsError';
  }
}

export function resolveOptions(options: NestAddOptions): ResolvedNestAddOptions {
  const tags = [
    ...new Set(
      (options.tags ?? 'order')
        .split(',')
        .map((tag) => tag.trim())
        .filter((tag) => tag !== ''),
    ),
  ];
  if (tags.length === 0)
    throw new NestAddOptionsError('--tags names no tag; pass them separated by commas: --tags order,invoice');
  for (const tag of tags) {
    if ([...tag].length > MAX_TAG_LENGTH) {
      throw new NestAddOptionsError(
        `the tag "${tag.slice(0, 20)}…" is longer than ${MAX_TAG_LENGTH} characters (leaf_alloc.biz_tag is varchar(128))`,
      );
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(tag))
      throw new NestAddOptionsError(`the tag ${JSON.stringify(tag)} holds a control character`);
  }
  const sourceRoot = posix.normalize(`/${options.sourceRoot ?? 'src'}`).replace(/\/$/, '') || '/';
  const sqliteFile = options.sqliteFile ?? 'ids.sqlite';
  if (sqliteFile.trim() === '')
    throw new NestAddOptionsError('--sqlite-file is empty; name the SQLite file, e.g. ids.sqlite');
  return {
    tags,
    skipExample: options.skipExample ?? false,
    skipDatabase: options.skipDatabase ?? false,
    skipInstall: options.skipInstall ?? false,
    sourceRoot,
    modulePath: posix.join(sourceRoot, options.module ?? 'app.module.ts'),
    sqliteFile,
  };
}
