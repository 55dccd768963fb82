import type { LeafAdmin } from '../leaf.admin.js';
import type { CliConnection } from './cli-connection.js';
import { CliError } from './cli-errors.js';

/** A flag of a command, as `node:util` parseArgs declares it, with its line in `--help`. */
export interface CliFlag {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** `--step <n>`: the value's name in the help; none for a boolean. */
  readonly value?: string;
  readonly help: string;
}

/** What a command is given: its positionals and flags, parsed, and the way to its connection. */
export interface CommandInput {
  readonly positionals: readonly string[];
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
  /** Opens the connection of `--url` / `DATABASE_URL` (`create`: a missing SQLite file may be made). */
  connect(options?: { create?: boolean }): Promise<CliConnection>;
  readonly verbose: boolean;
}

/** What a command prints: `json` for `--json`, `text` for people. */
export interface CommandOutput {
  readonly json: unknown;
  readonly text: string;
}

/** One command of `npx nest-leaf`. */
export interface CliCommand {
  readonly name: string;
  /** The positionals, as the usage line shows them: `<tag>`. */
  readonly args: readonly string[];
  readonly summary: string;
  /** More lines of `--help <command>`. */
  readonly details: readonly string[];
  readonly flags: Readonly<Record<string, CliFlag>>;
  run(input: CommandInput): Promise<CommandOutput>;
}

/** A flag's value as an integer from `min` to `max`, or undefined when the flag was not given. */
export function integerFlag(input: CommandInput, name: string, min: number, max: number): number | undefined {
  const raw = input.flags[name];
  if (raw === undefined) return undefined;
  return integerValue(String(raw), `--${name}`, min, max);
}

/** `raw` as an integer from `min` to `max` (decimal digits only: `1e3` and `0x10` are refused). */
export function integerValue(raw: string, label: string, min: number, max: number): number {
  const value = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw CliError.usage(`${label} must be an integer from ${min} to ${max}, got "${raw}".`);
  }
  return value;
}

/** A flag's value as a bigint of decimal digits from `min` to `max`, or undefined when not given. */
export function bigintFlag(input: CommandInput, name: string, min: bigint, max: bigint): bigint | undefined {
  const raw = input.flags[name];
  if (raw === undefined) return undefined;
  const text = String(raw);
  if (!/^\d+$/.test(text) || BigInt(text) < min || BigInt(text) > max) {
    throw CliError.usage(`--${name} must be an integer from ${min} to ${max}, got "${text}".`);
  }
  return BigInt(text);
}

/** Runs `use` on an open connection, closing it whatever happens. */
export async function withConnection<T>(
  input: CommandInput,
  use: (connection: CliConnection) => Promise<T>,
  options?: { create?: boolean },
): Promise<T> {
  const connection = await input.connect(options);
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}

/** `LeafAdmin` over the connection's store, loaded when a command needs it: Nest and the generator cost `--help` nothing. */
export async function adminFor(connection: CliConnection): Promise<LeafAdmin> {
  const { adminOf } = await import('./leaf-session.js');
  return adminOf(connection.store);
}
