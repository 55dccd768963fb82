import { readFileSync } from 'node:fs';
import os from 'node:os';

/** A reading of this process's CPU time and the machine's, to be subtracted from a later one. */
export interface CpuReading {
  readonly at: number;
  readonly process: NodeJS.CpuUsage;
  /** Jiffies of all CPUs from /proc/stat: busy and total; undefined where there is no /proc. */
  readonly machine?: { readonly busy: number; readonly total: number };
}

export interface CpuShare {
  /** This process's CPU time over the interval, in cores (1 = one core fully busy). */
  readonly processCores: number;
  /** Share of the machine's CPU time that was busy (any process), 0..1; NaN where unknown. */
  readonly machineBusy: number;
}

function machine(): CpuReading['machine'] {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const [, ...fields] = line.trim().split(/\s+/);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait };
  } catch {
    return undefined;
  }
}

export function readCpu(): CpuReading {
  return { at: performance.now(), process: process.cpuUsage(), machine: machine() };
}

/**
 * How busy this process and the machine were between two readings: when the machine was near 100% busy
 * and this process got less than the CPU its load needed, the latencies measured meanwhile are the
 * machine's, not the code's.
 */
export function cpuShare(from: CpuReading, to: CpuReading = readCpu()): CpuShare {
  const ms = to.at - from.at;
  const usedUs = to.process.user - from.process.user + (to.process.system - from.process.system);
  const m =
    from.machine && to.machine && to.machine.total > from.machine.total
      ? (to.machine.busy - from.machine.busy) / (to.machine.total - from.machine.total)
      : Number.NaN;
  return { processCores: ms > 0 ? usedUs / 1000 / ms : Number.NaN, machineBusy: m };
}

export const CORES = os.availableParallelism();
