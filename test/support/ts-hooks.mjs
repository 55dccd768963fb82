// Module hooks that let a child process of a test run the library's TypeScript sources as they are, without a build:
// `node --import ./test/support/ts-register.mjs child.ts`. Each .ts file is transpiled on load (no type check: the
// test run's own tsc does that), and a relative `./x.js` import finds `./x.ts`, as the sources write them. What was
// transpiled is kept in the system's temporary folder, by content, so the next child (and the next run) starts at once.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CACHE = join(tmpdir(), 'nest-leaf-ts-hooks-v1');
mkdirSync(CACHE, { recursive: true });

/** TypeScript itself, loaded only when a file is not in the cache (it takes a second or two to load). */
let typescript;

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !/^\.{1,2}\//.test(specifier) || !specifier.endsWith('.js'))
      throw error;
    return next(`${specifier.slice(0, -3)}.ts`, context);
  }
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const file = fileURLToPath(url);
  const source = await readFile(file, 'utf8');
  const cached = join(CACHE, `${createHash('sha256').update(file).update('\0').update(source).digest('hex')}.js`);
  try {
    return { format: 'module', source: readFileSync(cached, 'utf8'), shortCircuit: true };
  } catch {
    // Not transpiled yet.
  }
  typescript ??= (await import('typescript')).default;
  const { outputText } = typescript.transpileModule(source, {
    fileName: file,
    compilerOptions: {
      module: typescript.ModuleKind.ESNext,
      target: typescript.ScriptTarget.ES2022,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      useDefineForClassFields: false,
      sourceMap: false,
    },
  });
  // Written aside, then renamed: a child reading it at the same moment sees all of it or none.
  const partial = `${cached}.${process.pid}.tmp`;
  writeFileSync(partial, outputText);
  renameSync(partial, cached);
  return { format: 'module', source: outputText, shortCircuit: true };
}
