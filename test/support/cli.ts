import { execFile } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'libs/leaf/src/cli/main.ts');
const REGISTER = join(ROOT, 'test/support/ts-register.mjs');

/** What one run of the CLI did. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout as JSON (a `--json` run). */
  json<T = Record<string, unknown>>(): T;
}

/**
 * `npx nest-leaf <args>` as a process of its own, on the library's TypeScript sources (through
 * `ts-register.mjs`, no build), with `env` over a clean environment: no `DATABASE_URL` leaks in from the test's.
 */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const { PATH, HOME, TMPDIR } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', REGISTER, MAIN, ...args],
      { cwd: ROOT, env: { PATH, HOME, TMPDIR, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({
          code,
          stdout,
          stderr,
          json: <T>() => {
            try {
              return JSON.parse(stdout) as T;
            } catch {
              throw new Error(`not JSON (exit ${code}):\n${stdout}\n${stderr}`);
            }
          },
        });
      },
    );
  });
}
