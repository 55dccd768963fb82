import { fork } from 'node:child_process';

const CHILD_FLAG = '--section-child=';

/** The case this process was forked to run, if it was (see runInChild). */
export function childSection(argv: readonly string[]): string | undefined {
  return argv.find((a) => a.startsWith(CHILD_FLAG))?.slice(CHILD_FLAG.length);
}

/** The arguments without the flag runInChild adds. */
export const withoutChildFlag = (argv: readonly string[]): string[] => argv.filter((a) => !a.startsWith(CHILD_FLAG));

/**
 * Runs one case in a fresh Node process (`script`, the bench's run.js, again with --section-child=<name>), so
 * none inherits another's heap, JIT state or type feedback. Measured: after the in-process, per-ID and
 * reservation sections had run in one process, V8 kept aborting its TurboFan compiles of nextId and of the
 * far-database harness ("Maps became deprecated during optimization", thousands of times), its compiler
 * threads took most of a core, and the far-database latencies were those of a starved process.
 */
export function runInChild(script: string, argv: readonly string[], name: string): Promise<unknown> {
  const args = argv.filter((a) => !a.startsWith('--only='));
  return new Promise((resolve, reject) => {
    // The parent's flags (--expose-gc, a --cpu-prof) carry over: a profile is written per section.
    const child = fork(script, [...args, `--only=${name}`, `${CHILD_FLAG}${name}`], {
      stdio: 'inherit',
      serialization: 'advanced',
    });
    let result: unknown;
    let answered = false;
    child.on('message', (message) => {
      result = message;
      answered = true;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      answered && code === 0 ? resolve(result) : reject(new Error(`section ${name} failed (exit code ${code})`)),
    );
  });
}

/** In the child: sends the result to the parent, then exits. */
export function answerParent(result: unknown): void {
  process.send!(result, () => process.exit(0));
}
