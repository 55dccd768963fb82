// leaf_alloc's migration wired into the app's TypeORM set-up, or, in an app with none, a set-up on an SQLite file:
// the step a hand installation misses most often (the table is then missing at the first ID).
import type { SchematicContext, Tree } from '@angular-devkit/schematics';
import ts from 'typescript';
import type { ResolvedNestAddOptions } from './nest-add.options.cjs';
import {
  addNamedImport,
  addToModuleArray,
  appendToList,
  callsOf,
  factoryResult,
  parse,
  property,
  quote,
} from './source-edits.cjs';

type Logger = SchematicContext['logger'];

const MIGRATION = 'LeafAllocMigration';
const MIGRATION_IMPORT = `import { ${MIGRATION} } from 'nest-leaf/typeorm';`;

/** What the app's database needs after the schematic: the packages of a new SQLite set-up, if it made one. */
export interface DatabaseOutcome {
  sqlite: boolean;
}

function sqliteSetUp(file: string): string {
  return [
    'TypeOrmModule.forRoot({',
    "  type: 'better-sqlite3',",
    `  database: process.env.SQLITE_FILE ?? ${quote(file)},`,
    `  migrations: [${MIGRATION}],`,
    '  migrationsRun: true,',
    '})',
  ].join('\n');
}

/** The app's `.ts` files (specs left out) that call `TypeOrmModule.forRoot` or `forRootAsync`. */
function typeOrmFiles(tree: Tree, sourceRoot: string): string[] {
  const files: string[] = [];
  tree.getDir(sourceRoot).visit((path) => {
    if (!path.endsWith('.ts') || path.endsWith('.spec.ts') || path.includes('/node_modules/')) return;
    if (tree.readText(path).includes('TypeOrmModule.forRoot')) files.push(path);
  });
  return files.sort();
}

/** The options object of the file's first TypeORM root call, when it is written out in place. */
function optionsObject(path: string, text: string): ts.ObjectLiteralExpression | undefined {
  const [call] = callsOf(parse(path, text), 'TypeOrmModule', ['forRoot', 'forRootAsync']);
  const [argument] = call?.arguments ?? [];
  if (!argument || !ts.isObjectLiteralExpression(argument)) return undefined;
  return (call.expression as ts.PropertyAccessExpression).name.text === 'forRoot' ? argument : factoryResult(argument);
}

function byHand(logger: Logger, where: string, what: string): void {
  logger.warn(`nest-leaf: add by hand ${what} in ${where}, and ${MIGRATION_IMPORT}`);
}

export function wireDatabase(tree: Tree, options: ResolvedNestAddOptions, logger: Logger): DatabaseOutcome {
  const files = typeOrmFiles(tree, options.sourceRoot);
  if (files.length === 0) return setUpSqlite(tree, options, logger);
  const [path] = files;
  if (
    files.length > 1 ||
    callsOf(parse(path, tree.readText(path)), 'TypeOrmModule', ['forRoot', 'forRootAsync']).length > 1
  ) {
    logger.info(
      `nest-leaf: several TypeORM set-ups; the migration goes to the first, in ${path}. LeafModule uses the default DataSource unless given \`dataSource\`.`,
    );
  }
  let text = tree.readText(path);
  if (!optionsObject(path, text)) {
    byHand(
      logger,
      `the options of TypeOrmModule.forRoot (${path})`,
      `\`migrations: [${MIGRATION}], migrationsRun: true\``,
    );
    return { sqlite: false };
  }
  const before = text;
  const migrations = property(optionsObject(path, text)!, 'migrations');
  if (!migrations) {
    text = appendToList(text, optionsObject(path, text)!, `migrations: [${MIGRATION}]`);
  } else if (!ts.isArrayLiteralExpression(migrations.initializer)) {
    byHand(logger, `the \`migrations\` of TypeOrmModule.forRoot (${path})`, MIGRATION);
  } else if (!migrations.initializer.elements.some((element) => element.getText() === MIGRATION)) {
    text = appendToList(text, migrations.initializer, MIGRATION);
  }
  const run = property(optionsObject(path, text)!, 'migrationsRun');
  if (!run) {
    text = appendToList(text, optionsObject(path, text)!, 'migrationsRun: true');
  } else if (run.initializer.kind !== ts.SyntaxKind.TrueKeyword) {
    logger.warn(
      `nest-leaf: migrationsRun is not \`true\` in ${path}: run the migrations before the app starts (typeorm migration:run), or leaf_alloc is missing at the first ID.`,
    );
  }
  if (text !== before) {
    tree.overwrite(path, addNamedImport(path, text, MIGRATION, 'nest-leaf/typeorm'));
    logger.info(`nest-leaf: ${MIGRATION} added to the TypeORM set-up in ${path}`);
  }
  return { sqlite: false };
}

function setUpSqlite(tree: Tree, options: ResolvedNestAddOptions, logger: Logger): DatabaseOutcome {
  const path = options.modulePath;
  if (options.skipDatabase) {
    logger.warn(
      `nest-leaf: no TypeOrmModule.forRoot found (--skip-database). LeafModule needs a store: add to the imports of ${path} your TypeORM set-up with \`migrations: [${MIGRATION}], migrationsRun: true\`, e.g. ${sqliteSetUp(options.sqliteFile)}, with import { TypeOrmModule } from '@nestjs/typeorm'; and ${MIGRATION_IMPORT} (or pass LeafModule a \`store\`: nest-leaf/redis, nest-leaf/http).`,
    );
    return { sqlite: false };
  }
  const edited = addToModuleArray(
    path,
    tree.readText(path),
    'imports',
    sqliteSetUp(options.sqliteFile),
    'TypeOrmModule.',
  );
  if (edited === undefined) {
    byHand(
      logger,
      `the imports of ${path}`,
      `${sqliteSetUp(options.sqliteFile)} with import { TypeOrmModule } from '@nestjs/typeorm';`,
    );
    return { sqlite: false };
  }
  const withImports = addNamedImport(
    path,
    addNamedImport(path, edited, 'TypeOrmModule', '@nestjs/typeorm'),
    MIGRATION,
    'nest-leaf/typeorm',
  );
  tree.overwrite(path, withImports);
  logger.info(
    `nest-leaf: no TypeORM set-up found; ${path} now keeps leaf_alloc in the SQLite file ${options.sqliteFile} (SQLITE_FILE overrides it)`,
  );
  return { sqlite: true };
}
