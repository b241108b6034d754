/**
 * How busy the rest of the machine was while a round ran: CPU time of the whole
 * machine (/proc/stat, including time stolen by the hypervisor) minus this
 * process's own (all its threads), in cores. These machines are shared; a round
 * during which others used a core is not a clean measurement, and the table says so.
 */
import * as fs from 'node:fs';

export interface CpuMark {
  /** Busy + stolen machine time, seconds; NaN when /proc/stat is not readable. */
  machine: number;
  /** This process's CPU time, seconds. */
  own: number;
  wall: bigint;
}

/** Clock ticks per second of /proc/stat (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

function machineSeconds(): number {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + (f[7] ?? 0);
    return busy / USER_HZ;
  } catch {
    return NaN;
  }
}

export function cpuMark(): CpuMark {
  const u = process.cpuUsage();
  return {
    machine: machineSeconds(),
    own: (u.user + u.system) / 1e6,
    wall: process.hrtime.bigint(),
  };
}

/** Average cores used by everything but this process between two marks (≥ 0, or NaN). */
export function othersCores(from: CpuMark, to: CpuMark): number {
  const wall = Number(to.wall - from.wall) / 1e9;
  const others = to.machine - from.machine - (to.own - from.own);
  return Math.max(0, others / wall);
}

/** Scheduler times of the calling thread, seconds: on a CPU, and runnable but waiting. */
export interface ThreadTimes {
  onCpu: number;
  waiting: number;
}

/** From /proc/thread-self/schedstat (Linux); NaN elsewhere. */
export function threadTimes(): ThreadTimes {
  try {
    const [run, wait] = fs
      .readFileSync('/proc/thread-self/schedstat', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return { onCpu: run! / 1e9, waiting: wait! / 1e9 };
  } catch {
    return { onCpu: NaN, waiting: NaN };
  }
}
