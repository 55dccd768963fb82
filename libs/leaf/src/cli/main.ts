#!/usr/bin/env node
// The bin of the package: `npx nest-leaf <command>`. Everything is in runCli; this file only wires the process.
import { runCli } from './cli-run.js';

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
});
// A driver's pool or timer left open must not keep a hook waiting: the command is over.
process.stdout.write('', () => process.exit(code));
