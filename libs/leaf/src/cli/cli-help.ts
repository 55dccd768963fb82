import type { CliCommand, CliFlag } from './cli-command.js';
import { EXIT } from './cli-errors.js';
import { SCHEMES } from './connection-url.js';

/** Flags every command takes. */
export const GLOBAL_FLAGS: Readonly<Record<string, CliFlag>> = {
  url: { type: 'string', value: 'url', help: `the connection, else DATABASE_URL: ${SCHEMES}` },
  'key-prefix': { type: 'string', value: 'prefix', help: "Redis: the store's key prefix (default leaf_alloc:)" },
  json: { type: 'boolean', help: 'print JSON on stdout (errors too: { "error": { code, exitCode, message } })' },
  verbose: { type: 'boolean', help: "the library's warnings on stderr" },
  help: { type: 'boolean', short: 'h', help: 'this help; with a command, its own' },
};

/** What exits with what, as `--help` and docs/cli.md list it. */
const EXIT_LINES: Record<keyof typeof EXIT, string> = {
  ok: 'done (a fence that moved nothing included)',
  unexpected: 'unexpected error',
  usage: 'usage: unknown command or flag, bad value, no connection given',
  connection: 'connection: the database, Redis or app unreachable, or credentials refused',
  notFoundOrConflict: 'not found or conflict: no such tag, or the tag exists',
  unsupported: 'not supported: fence on a store without failover fencing, inspect on an app without the route',
  store: 'store unusable as it is: no leaf_alloc table (run migrate), a missing permission',
  missingPackage: 'an optional package is missing (typeorm and its driver, ioredis): the message says what to install',
};

function flagLines(flags: Readonly<Record<string, CliFlag>>): string[] {
  const shown = Object.entries(flags).map(([name, flag]) => [
    `${flag.short === undefined ? '    ' : `-${flag.short}, `}--${name}${flag.value === undefined ? '' : ` <${flag.value}>`}`,
    flag.help,
  ]);
  const width = Math.max(...shown.map(([left]) => left.length));
  return shown.map(([left, help]) => `  ${left.padEnd(width)}  ${help}`);
}

/** `npx nest-leaf --help`. */
export function mainHelp(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => usageOf(c, false).length));
  return [
    'Usage: npx nest-leaf <command> [flags]',
    '',
    "Operate nest-leaf's leaf_alloc outside the app: list and create tags, change steps, fence after a failover,",
    'create the table, and see what a running app holds. The connection comes from DATABASE_URL or --url.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${usageOf(c, false).padEnd(width)}  ${c.summary}`),
    '',
    'Flags of every command:',
    ...flagLines(GLOBAL_FLAGS),
    '',
    'Exit codes:',
    ...Object.entries(EXIT).map(([key, code]) => `  ${code}  ${EXIT_LINES[key as keyof typeof EXIT]}`),
    '',
    'Examples:',
    '  DATABASE_URL=mysql://leaf:secret@db:3306/shop npx nest-leaf tags',
    '  npx nest-leaf create-tag order --step 2000 --description "order IDs" --url postgres://postgres@db/shop',
    '  DATABASE_URL=redis://redis:6379 npx nest-leaf fence --json',
    '  npx nest-leaf inspect --url http://ids:3000 --token "$LEAF_ADMIN_TOKEN"',
    '',
    'Run "npx nest-leaf <command> --help" for a command\'s own flags. Docs: docs/cli.md.',
  ].join('\n');
}

/** `npx nest-leaf <command> --help`. */
export function commandHelp(command: CliCommand): string {
  return [
    `Usage: npx nest-leaf ${usageOf(command)}`,
    '',
    command.summary,
    ...(command.details.length > 0 ? ['', ...command.details] : []),
    ...(Object.keys(command.flags).length > 0 ? ['', 'Flags:', ...flagLines(command.flags)] : []),
    '',
    'Flags of every command:',
    ...flagLines(GLOBAL_FLAGS),
  ].join('\n');
}

/** `create-tag <tag>`, and with `flags` its flags after it. */
function usageOf(command: CliCommand, flags = true): string {
  if (!flags) return [command.name, ...command.args].join(' ');
  const shown = Object.entries(command.flags).map(
    ([name, flag]) => `[--${name}${flag.value === undefined ? '' : ` <${flag.value}>`}]`,
  );
  return [command.name, ...command.args, ...shown].join(' ');
}
