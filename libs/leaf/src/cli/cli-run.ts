import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CliCommand, CliFlag, CommandInput } from './cli-command.js';
import type { CliConnection } from './cli-connection.js';
import { classify, CliError, EXIT, type ExitCode } from './cli-errors.js';
import { commandHelp, GLOBAL_FLAGS, mainHelp } from './cli-help.js';
import { toJson } from './cli-output.js';
import { connectionTarget } from './connection-url.js';
import { createTagCommand } from './create-tag.command.js';
import { fenceCommand } from './fence.command.js';
import { inspectCommand } from './inspect.command.js';
import { migrateCommand } from './migrate.command.js';
import { openRedis } from './redis-connection.js';
import { setStepCommand } from './set-step.command.js';
import { openSql } from './sql-connection.js';
import { tagsCommand } from './tags.command.js';

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly CliCommand[] = [
  tagsCommand,
  createTagCommand,
  setStepCommand,
  fenceCommand,
  migrateCommand,
  inspectCommand,
];

/** Where the CLI writes: the process's streams, or a test's. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
}

/**
 * Runs one command line (`argv` without `node` and the script) and resolves to its exit code; never rejects. Output
 * goes to `io.out` (`--json`: one JSON document, errors included), messages to `io.err`.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const json = argv.includes('--json');
  let command: CliCommand | undefined;
  try {
    const parsed = parse(argv);
    const name = parsed.positionals[0];
    command = COMMANDS.find((c) => c.name === name);
    if (name === undefined || parsed.values.help === true) {
      if (name !== undefined && command === undefined) throw unknownCommand(name);
      io.out(command === undefined ? mainHelp(COMMANDS) : commandHelp(command));
      return name === undefined && parsed.values.help !== true ? EXIT.usage : EXIT.ok;
    }
    if (command === undefined) throw unknownCommand(name);
    for (const token of parsed.tokens ?? []) {
      if (token.kind === 'option' && !(token.name in GLOBAL_FLAGS) && !(token.name in command.flags)) {
        throw CliError.usage(`${command.name} does not take --${token.name}.`);
      }
    }
    const flags = parsed.values as Record<string, string | boolean | undefined>;
    const input: CommandInput = {
      positionals: parsed.positionals.slice(1),
      flags,
      verbose: flags.verbose === true,
      connect: (options) => connect(flags, io.env, options?.create ?? false),
    };
    const output = await command.run(input);
    io.out(json ? toJson(output.json) : output.text);
    return EXIT.ok;
  } catch (caught) {
    const error = classify(caught);
    const prefix = command === undefined ? 'nest-leaf' : `nest-leaf ${command.name}`;
    if (json) io.out(toJson({ error: { code: error.code, exitCode: error.exitCode, message: error.message } }));
    else io.err(`${prefix}: ${error.message}`);
    if (error.exitCode === EXIT.unexpected && io.env.NEST_LEAF_DEBUG) io.err(String((caught as Error)?.stack));
    return error.exitCode;
  }
}

/** `node:util` parseArgs over every command's flags; which command takes which is checked after. */
function parse(argv: readonly string[]) {
  const options: ParseArgsConfig['options'] = {};
  const add = (flags: Readonly<Record<string, CliFlag>>) => {
    for (const [name, flag] of Object.entries(flags)) {
      options[name] = flag.short === undefined ? { type: flag.type } : { type: flag.type, short: flag.short };
    }
  };
  add(GLOBAL_FLAGS);
  for (const command of COMMANDS) add(command.flags);
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    // ERR_PARSE_ARGS_UNKNOWN_OPTION, ERR_PARSE_ARGS_INVALID_OPTION_VALUE: Node's message says which.
    throw CliError.usage((error as Error).message);
  }
}

function unknownCommand(name: string): CliError {
  return CliError.usage(`Unknown command "${name}"; the commands are ${COMMANDS.map((c) => c.name).join(', ')}.`);
}

async function connect(
  flags: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
  create: boolean,
): Promise<CliConnection> {
  const target = connectionTarget(flags.url as string | undefined, env);
  // Before any store exists: a store logs from its first command on.
  (await import('./cli-logs.js')).routeLibraryLogs(flags.verbose === true);
  const keyPrefix = flags['key-prefix'] as string | undefined;
  if (target.kind === 'redis') return openRedis(target, keyPrefix);
  if (keyPrefix !== undefined) throw CliError.usage('--key-prefix is for a Redis connection only.');
  return openSql(target, { create });
}
