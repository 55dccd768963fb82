// `nest add nest-leaf`: the Nest CLI installs the package, then runs this collection's `nest-add` schematic in the
// app. Every step looks before it writes, so a second run changes nothing.
import type { Rule, SchematicContext, Tree } from '@angular-devkit/schematics';
import { addDependencies, ownRange, scheduleInstall, SQLITE_PACKAGES } from './app-package.cjs';
import { examplePath, importSuffix, writeExample } from './example-files.cjs';
import { NestAddOptionsError, resolveOptions, type NestAddOptions } from './nest-add.options.cjs';
import { addAfterAppCreation, addNamedImport, addToModuleArray, quote } from './source-edits.cjs';
import { wireDatabase } from './typeorm-setup.cjs';

export type { NestAddOptions } from './nest-add.options.cjs';

/** The schematic's factory, named in collection.json. */
export function nestAdd(raw: NestAddOptions): Rule {
  const options = resolveOptions(raw);
  return (tree: Tree, context: SchematicContext) => {
    const { logger } = context;
    const path = options.modulePath;
    if (!tree.exists(path)) {
      throw new NestAddOptionsError(
        `${path} does not exist; name the root module with --module (relative to --source-root ${options.sourceRoot})`,
      );
    }
    const database = wireDatabase(tree, options, logger);

    const leafModule = `LeafModule.forRoot({ bizTags: [${options.tags.map(quote).join(', ')}] })`;
    const withLeaf = addToModuleArray(path, tree.readText(path), 'imports', leafModule, 'LeafModule.');
    if (withLeaf === undefined) {
      logger.warn(
        `nest-leaf: add by hand ${leafModule} to the imports of your root module, with import { LeafModule } from 'nest-leaf';`,
      );
    } else if (withLeaf !== tree.readText(path)) {
      tree.overwrite(path, addNamedImport(path, withLeaf, 'LeafModule', 'nest-leaf'));
      logger.info(`nest-leaf: ${leafModule} added to ${path}`);
    } else {
      logger.info(`nest-leaf: ${path} already imports LeafModule; its tags are left as they are`);
    }

    if (!options.skipExample) addExample(tree, options.sourceRoot, path, options.tags[0], logger);

    const main = `${options.sourceRoot}/main.ts`;
    if (tree.exists(main) && !tree.readText(main).includes('enableShutdownHooks')) {
      // On shutdown the unused rest of each segment goes back to the table: a rolling restart leaves no gap.
      const withHooks = addAfterAppCreation(main, tree.readText(main), (app) => `${app}.enableShutdownHooks();`);
      if (withHooks === undefined)
        logger.warn(`nest-leaf: call app.enableShutdownHooks() in ${main} so a restart gives unused IDs back`);
      else tree.overwrite(main, withHooks);
    }

    const wanted = { 'nest-leaf': ownRange(), ...(database.sqlite ? SQLITE_PACKAGES : {}) };
    const added = addDependencies(tree, wanted);
    if (added.length > 0) {
      logger.info(`nest-leaf: added to package.json: ${added.join(', ')}`);
      if (!options.skipInstall) scheduleInstall(context, added.includes('better-sqlite3'));
    }
    return tree;
  };
}

function addExample(
  tree: Tree,
  sourceRoot: string,
  path: string,
  tag: string,
  logger: SchematicContext['logger'],
): void {
  const suffix = importSuffix(tree.readText(path));
  const created = writeExample(tree, sourceRoot, tag, suffix);
  if (created.length > 0)
    logger.info(`nest-leaf: example created: ${created.join(', ')} (POST /ids answers the next ${quote(tag)} ID)`);
  for (const [key, name, file] of [
    ['providers', 'IdsService', 'ids.service'],
    ['controllers', 'IdsController', 'ids.controller'],
  ] as const) {
    const edited = addToModuleArray(path, tree.readText(path), key, name, name);
    const from = examplePath(path, sourceRoot, file, suffix);
    if (edited === undefined) {
      logger.warn(`nest-leaf: add by hand ${name} to the ${key} of ${path}, with import { ${name} } from '${from}';`);
    } else if (edited !== tree.readText(path)) {
      tree.overwrite(path, addNamedImport(path, edited, name, from));
    }
  }
}
