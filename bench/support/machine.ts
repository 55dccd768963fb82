import { readFileSync } from 'node:fs';
import os from 'node:os';
import { formatBytes } from './table.js';

export interface Machine {
  readonly cpuModel: string;
  /** Cores Node may use (os.availableParallelism). */
  readonly cores: number;
  /** Logical CPUs the OS reports. */
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly memory: string;
  readonly node: string;
  readonly mariadb: string;
  /** Distribution and kernel. */
  readonly os: string;
  readonly platform: string;
  readonly date: string;
  /** 1, 5 and 15-minute load averages at the end of the run: a busy neighbour shows here. */
  readonly loadAverage: number[];
}

function distribution(): string {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1] ?? os.type();
  } catch {
    return os.type();
  }
}

export function machineInfo(mariadb: string): Machine {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    cpus: cpus.length,
    memoryBytes: os.totalmem(),
    memory: formatBytes(os.totalmem()),
    node: process.version,
    mariadb,
    os: `${distribution()}, ${os.type()} ${os.release()}`,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}
