'use strict';
/**
 * Runs the nest-add schematic on virtual trees, in a Node process of its own: @angular-devkit/schematics 22 requires
 * an ES module (magic-string), which Node loads through require(esm) and Jest on Node 20 cannot.
 * Reads one JSON request per line on stdin, { collection, options, files }; answers each with one line,
 * { files, messages, tasks } or { error, messages }.
 */
const { createInterface } = require('node:readline');
const { HostTree } = require('@angular-devkit/schematics');
const { SchematicTestRunner, UnitTestTree } = require('@angular-devkit/schematics/testing');

async function runOnce({ collection, options, files }) {
  const tree = new UnitTestTree(new HostTree());
  for (const [path, text] of Object.entries(files)) tree.create(path, text);
  const runner = new SchematicTestRunner('nest-leaf', collection);
  const messages = [];
  runner.logger.subscribe((entry) => messages.push(`${entry.level}: ${entry.message}`));
  try {
    const result = await runner.runSchematic('nest-add', options, tree);
    const out = Object.fromEntries(result.files.map((path) => [path, result.readContent(path)]));
    return { files: out, messages, tasks: runner.tasks };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error), messages };
  }
}

async function main() {
  for await (const line of createInterface({ input: process.stdin })) {
    process.stdout.write(`${JSON.stringify(await runOnce(JSON.parse(line)))}\n`);
  }
}

void main();
