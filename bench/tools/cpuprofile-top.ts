/**
 * Where a `node --cpu-prof` profile spent its time: self time per function, heaviest first, and per source
 * (the library, Nest, Express, TypeORM, mysql2, Node's internals, GC, idle). Used to say what limits a case
 * whose goal is missed. Usage: node dist/bench/tools/cpuprofile-top.js <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node dist/bench/tools/cpuprofile-top.js <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));

// Self time of each node: the time delta that follows each of its samples.
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i + 1] ?? 0;
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
});
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

function source(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'V8 / native (program)';
  if (url.includes('/libs/leaf/')) return 'library (nest-leaf)';
  if (url.includes('/apps/demo/')) return 'demo app';
  if (url.includes('/bench/')) return 'bench harness';
  if (url.includes('/support/fault-proxy')) return 'fault proxy';
  if (url.includes('/support/')) return 'shared support (test/ and bench/)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:') || url === '') return 'node internals';
  return url;
}

const byFunction = new Map<string, number>();
const bySource = new Map<string, number>();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const name = functionName || '(anonymous)';
  const where = url
    ? `${url.replace(/^file:\/\/.*?\/(node_modules|libs|apps|bench|test|support|dist)\//, '$1/')}:${lineNumber + 1}`
    : '';
  const key = `${name}  ${where}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const src = source(url, name);
  bySource.set(src, (bySource.get(src) ?? 0) + us);
}

const pct = (us: number) => `${((100 * us) / totalUs).toFixed(1).padStart(5)}%`;
const print = (title: string, entries: Map<string, number>, limit: number) => {
  process.stdout.write(`\n${title}\n`);
  for (const [key, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    process.stdout.write(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}\n`);
  }
};
process.stdout.write(`${file}: ${(totalUs / 1e6).toFixed(2)} s sampled\n`);
print('Self time by source', bySource, 20);
print(`Self time by function (top ${top})`, byFunction, top);
