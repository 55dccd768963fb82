import 'reflect-metadata';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { MYSQL, serverVersion } from '../harness/mariadb.js';
import type { BenchCase } from './case.js';
import { farDatabase } from './cases/far-database.js';
import { http } from './cases/http.js';
import { nodes } from './cases/nodes.js';
import { parseCommandLine } from './command-line.js';
import { CASES } from './registry.js';
import { collectRatios, renderReport, resultsJson, type Results } from './report.js';
import { LEAF_OPTIONS } from './settings.js';
import { renderChart } from './support/chart.js';
import { dropBenchDatabases } from './support/databases.js';
import { answerParent, childSection, runInChild, withoutChildFlag } from './support/isolate.js';
import { machineInfo } from './support/machine.js';

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { settings, sections, cases } = parseCommandLine(withoutChildFlag(argv), process.env);
  // Ctrl-C: drop this process's databases before leaving, as the end of a case would.
  process.once('SIGINT', () => void dropBenchDatabases().finally(() => process.exit(130)));

  // In a child: run the one case, hand its result to the parent.
  const child = childSection(argv);
  if (child !== undefined) {
    let result: unknown;
    try {
      result = await CASES.find((c) => c.name === child)!.run({ settings, progress, ...(cases && { only: cases }) });
    } finally {
      await dropBenchDatabases();
    }
    answerParent(result);
    return;
  }

  const full = !settings.quick && sections.size === CASES.length && cases === undefined;
  if (globalThis.gc === undefined) progress('run node with --expose-gc for a garbage collection between cases');
  progress(
    `${settings.quick ? 'quick' : 'full'} run of ${[...sections].join(', ')}, each section in a process of its own; MariaDB at ${MYSQL.host}:${MYSQL.port}`,
  );
  const started = Date.now();
  const mariadb = await serverVersion();
  const results: Array<Results[number]> = [];
  for (const c of CASES.filter((c) => sections.has(c.name))) {
    results.push({ c, result: await runInChild(fileURLToPath(import.meta.url), argv, c.name) });
  }
  const of = <R>(c: BenchCase<R>) => results.find((r) => r.c === c)?.result as R | undefined;

  const machine = machineInfo(mariadb);
  const ratios = collectRatios(results, settings);
  process.stdout.write(renderReport(results, ratios, machine, settings) + '\n');

  const durationS = Math.round((Date.now() - started) / 1000);
  const json = resultsJson(
    results,
    ratios,
    { ...settings, sections: [...sections], leaf: LEAF_OPTIONS, durationS },
    machine,
  );
  const svg = await renderChart({
    ratios,
    far: of(farDatabase),
    http: of(http),
    nodes: of(nodes),
    machine,
    quick: settings.quick,
  });
  // Only a full run replaces the published figures; a quick or partial run writes beside the build output.
  const dir = full ? new URL('../../bench/results/', import.meta.url) : new URL('./results/', import.meta.url);
  const name = full ? 'latest' : settings.quick ? 'quick' : 'partial';
  await mkdir(dir, { recursive: true });
  const jsonFile = new URL(`${name}.json`, dir);
  const svgFile = new URL(`${name}.svg`, dir);
  await writeFile(jsonFile, json);
  await writeFile(svgFile, svg);
  progress(`wrote ${jsonFile.pathname} and ${svgFile.pathname} after ${Math.round((Date.now() - started) / 1000)} s`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
