import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/** Prisma's names of the engines the tests run on. */
export type PrismaProvider = 'postgresql' | 'sqlite' | 'mysql';

/**
 * Generates a Prisma 7 client (the TypeScript `prisma-client` generator) for `models` into `test/.prisma/<name>/`
 * (git-ignored), and returns the folder to import `client.ts` from. Prisma 7 runs on driver adapters with a
 * WebAssembly query compiler, so nothing else is needed at run time.
 *
 * `prisma generate` still checks for its schema engine (a binary used only by `migrate`/`db push`) and, when it is
 * missing, downloads it: unreachable here. `PRISMA_SCHEMA_ENGINE_BINARY` set to any existing file skips that check;
 * `generate` never runs it. Tables are created with plain SQL by the tests.
 */
export function generatePrismaClient(name: string, provider: PrismaProvider, models: string): string {
  const folder = join(root, 'test', '.prisma', name);
  // Prisma refuses an output folder that holds anything but its own client: the schema lives beside it.
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const schema = `${folder}.prisma`;
  writeFileSync(
    schema,
    `generator client {\n  provider = "prisma-client"\n  output   = "${folder}"\n}\n` +
      `datasource db {\n  provider = "${provider}"\n}\n${models}\n`,
  );
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'generate', '--schema', schema],
    {
      cwd: root,
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        CHECKPOINT_DISABLE: '1',
      },
      stdio: 'pipe',
    },
  );
  return folder;
}
