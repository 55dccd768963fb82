'use strict';
/**
 * Runs the nest-add schematic once on a virtual tree, in a Node process of its own: @angular-devkit/schematics 22
 * requires an ES module (magic-string), which Node loads through require(esm) and Jest on Node 20 cannot.
 * Reads { collection, options, files } as JSON on stdin; writes { files, messages, tasks } or { error }.
 */
const { HostTree } = require('@angular-devkit/schematics');
const { SchematicTestRunner, UnitTestTree } = require('@angular-devkit/schematics/testing');

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const { collection, options, files } = JSON.parse(input);
  const tree = new UnitTestTree(new HostTree());
  for (const [path, text] of Object.entries(files)) tree.create(path, text);
  const runner = new SchematicTestRunner('nest-leaf', collection);
  const messages = [];
  runner.logger.subscribe((entry) => messages.push(`${entry.level}: ${entry.message}`));
  try {
    const result = await runner.runSchematic('nest-add', options, tree);
    const out = Object.fromEntries(result.files.map((path) => [path, result.readContent(path)]));
    process.stdout.write(JSON.stringify({ files: out, messages, tasks: runner.tasks }));
  } catch (error) {
    process.stdout.write(JSON.stringify({ error: error instanceof Error ? error.message : String(error), messages }));
  }
}

void main();
