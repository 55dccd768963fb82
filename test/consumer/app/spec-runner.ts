// Runs the README's Jest spec without Jest: just the `it` and `expect(...).toEqual` it uses, on node:assert.
import { deepStrictEqual } from 'node:assert/strict';

type Spec = { name: string; fn: () => Promise<void> | void };

/** Imports spec modules with `it` and `expect` as globals; resolves to the name and outcome of each `it`. */
export async function runSpecs(modules: string[]): Promise<{ name: string; ok: boolean; error?: string }[]> {
  const specs: Spec[] = [];
  const globals = globalThis as Record<string, unknown>;
  globals.it = (name: string, fn: Spec['fn']) => specs.push({ name, fn });
  globals.expect = (actual: unknown) => ({ toEqual: (expected: unknown) => deepStrictEqual(actual, expected) });
  for (const module of modules) await import(module);
  const results = [];
  for (const spec of specs) {
    try {
      await spec.fn();
      results.push({ name: spec.name, ok: true });
    } catch (error) {
      results.push({ name: spec.name, ok: false, error: String(error) });
    }
  }
  return results;
}
