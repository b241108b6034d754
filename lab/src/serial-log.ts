/**
 * Turns a lab cycle's stamped serial log into a JSON observation. Pure: the
 * runner hands in the text, the config and what it measured on the host.
 *
 * Log lines look like `h+12345.6 | [    3.566237] LAB: capture-kernel-up …`: the
 * host time the line reached the runner, then the console line with the
 * kernel's own timestamp. `LAB:` lines are marks the lab's init scripts write to
 * /dev/kmsg; the rest is the kernel talking (with initcall_debug in the capture
 * kernel: `probe of 0000:00:04.0 returned 0 after 13993 usecs`).
 */
import type {
  LabDriverObservation,
  LabObservation,
  LabOutcome,
} from '../../apps/cli/src/lab-observation';
import { LAB_DEVICES, captureDrivers, cycleId, type CycleConfig } from './cycle-config';

/** The capture kernel's init sleeps this long after each driver so async probes finish. */
export const SETTLE_MS_PER_DRIVER = 200;

const OOM = /deadlocked on memory|Out of memory|oom-kill|page allocation failure/i;
const PANIC = /Kernel panic|BUG: |Oops: /;
const STAMPED = /^h\+(\d+(?:\.\d+)?) \| (.*)$/;
const KERNEL_TS = /^\[\s*(\d+\.\d+)\] (.*)$/;
const ERROR_WORDS =
  /error|fail|timed? ?out|warning|oops|BUG:|call trace|DMAR|deadlocked|out of memory|hardware error|not syncing|stuck|nobody cared|disabling irq|unable to|cannot/i;

interface Line {
  hostMs: number;
  kernelMs: number | null;
  text: string;
  phase: 'first' | 'capture';
}

function parseLines(log: string): Line[] {
  const lines: Line[] = [];
  let phase: Line['phase'] = 'first';
  let crashed = false;
  for (const raw of log.split('\n')) {
    const m = STAMPED.exec(raw);
    if (!m) {
      continue;
    }
    const hostMs = Number(m[1]);
    const k = KERNEL_TS.exec(m[2]!);
    const text = k ? k[2]! : m[2]!;
    if (crashed && phase === 'first' && /^Linux version /.test(text)) {
      phase = 'capture';
    }
    if (/LAB: crash$/.test(text)) {
      crashed = true;
    }
    lines.push({ hostMs, kernelMs: k ? Number(k[1]) * 1000 : null, text, phase });
  }
  return lines;
}

function markArgs(text: string): { name: string; words: string[]; kv: Record<string, string> } {
  const rest = text.slice(text.indexOf('LAB: ') + 5).trim();
  const words = rest.split(/\s+/);
  const kv: Record<string, string> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq > 0) {
      kv[w.slice(0, eq)] = w.slice(eq + 1);
    }
  }
  return { name: words[0] ?? '', words, kv };
}

const round = (v: number) => Math.round(v * 10) / 10;

/** PCI (and virtio) device names whose probes belong to a driver. */
function devicesOfDriver(driver: string): string[] {
  for (const d of Object.values(LAB_DEVICES)) {
    if (d.driver === driver) {
      const pci = `0000:00:${d.pciAddr}.0`;
      return driver === 'virtio_net' ? [pci, 'virtio0'] : [pci];
    }
  }
  throw new Error(`no lab device for driver ${driver}`);
}

/** What the host measured about a cycle besides the log. */
export interface HostFacts {
  kernel: string;
  timedOut: boolean;
  /** Allocated bytes of the dump disk image after the cycle. */
  dumpDiskBytes: number | null;
  serialLog: string;
}

/** Parses one cycle's stamped serial log into an observation. */
export function parseSerialLog(log: string, config: CycleConfig, host: HostFacts): LabObservation {
  const lines = parseLines(log);
  const capture = lines.filter((l) => l.phase === 'capture');
  const marks = lines.filter((l) => l.text.includes('LAB: '));
  const mark = (name: string, phase?: Line['phase']) =>
    marks.find((l) => markArgs(l.text).name === name && (!phase || l.phase === phase));

  const crash = mark('crash');
  const captureStart = capture[0];
  const captureUp = mark('capture-kernel-up', 'capture');
  const dumpStart = mark('dump-start', 'capture');
  const dumpEnd = mark('dump-end', 'capture');
  const lastLine = lines[lines.length - 1];
  const timedOut = host.timedOut || marks.some((l) => /LAB: host-timeout /.test(l.text));

  // Probes seen with initcall_debug, by device name.
  const probes = new Map<string, { rc: number; usecs: number }>();
  for (const l of capture) {
    const m = /probe of (\S+) returned (-?\d+) after (\d+) usecs/.exec(l.text);
    if (m) {
      probes.set(m[1]!, { rc: Number(m[2]), usecs: Number(m[3]) });
    }
  }

  const drivers: LabDriverObservation[] = captureDrivers(config).map((driver) => {
    const start = marks.find(
      (l) =>
        l.phase === 'capture' &&
        /LAB: probe-start /.test(l.text) &&
        markArgs(l.text).words[1] === driver,
    );
    const end = marks.find(
      (l) =>
        l.phase === 'capture' &&
        /LAB: probe-end /.test(l.text) &&
        markArgs(l.text).words[1] === driver,
    );
    const seen = devicesOfDriver(driver)
      .map((d) => probes.get(d))
      .filter((p): p is { rc: number; usecs: number } => p !== undefined);
    let outcome: LabDriverObservation['outcome'];
    if (seen.length > 0) {
      outcome = seen.every((p) => p.rc === 0) ? 'probed' : 'failed';
    } else if (end) {
      outcome = 'failed';
    } else {
      outcome = 'not-reached';
    }
    const freeBefore = start ? Number(markArgs(start.text).kv.memfree_kb) : NaN;
    const freeAfter = end ? Number(markArgs(end.text).kv.memfree_kb) : NaN;
    return {
      driver,
      outcome,
      probeMs: seen.length > 0 ? round(seen.reduce((s, p) => s + p.usecs, 0) / 1000) : null,
      loadMs:
        typeof start?.kernelMs === 'number' && typeof end?.kernelMs === 'number'
          ? round(Math.max(0, end.kernelMs - start.kernelMs - SETTLE_MS_PER_DRIVER))
          : null,
      memoryKiB:
        Number.isFinite(freeBefore) && Number.isFinite(freeAfter) ? freeBefore - freeAfter : null,
    };
  });

  // Why it failed, first cause wins.
  let outcome: LabOutcome = 'captured';
  let failure: LabObservation['failure'] = null;
  const fail = (reason: LabOutcome, line: string, driver: string | null = null) => {
    if (!failure) {
      outcome = reason;
      failure = { reason, line, driver };
    }
  };
  // The driver whose modules were loading when the capture kernel died, if any:
  // an OOM before init (the kernel's own initcalls, the initramfs) blames none.
  const started = marks.filter((l) => l.phase === 'capture' && /LAB: probe-start /.test(l.text));
  const loading = started
    .map((l) => markArgs(l.text).words[1]!)
    .filter(
      (drv) =>
        !marks.some(
          (l) =>
            l.phase === 'capture' &&
            /LAB: probe-end /.test(l.text) &&
            markArgs(l.text).words[1] === drv,
        ),
    );
  const inProbe = loading.length > 0 ? { driver: loading[loading.length - 1]! } : undefined;
  const kexecFail = mark('FAIL', 'first');
  if (kexecFail) {
    const why = marks.find((l) => /LAB: kexec: /.test(l.text));
    fail('kexec-load-failed', (why ?? kexecFail).text);
  }
  const oom = capture.find((l) => OOM.test(l.text));
  if (oom) {
    fail('capture-kernel-oom', oom.text, inProbe?.driver ?? null);
  }
  const panic = capture.find((l) => PANIC.test(l.text));
  if (panic) {
    fail('capture-kernel-panic', panic.text, inProbe?.driver ?? null);
  }
  const targetMissing = mark('FAIL', 'capture');
  if (targetMissing) {
    fail('dump-target-missing', targetMissing.text);
  }
  if (dumpEnd && markArgs(dumpEnd.text).kv.rc !== '0') {
    fail('dump-failed', dumpEnd.text);
  }
  if (crash && !captureStart) {
    const qemuExit = marks.find((l) => /LAB: qemu-exit /.test(l.text));
    fail(
      'capture-kernel-never-started',
      qemuExit
        ? qemuExit.text
        : timedOut
          ? 'hang after the panic: no capture kernel line until the timeout (purgatory loops forever on a changed segment)'
          : 'the capture kernel never started',
    );
  }
  if (timedOut) {
    fail('timeout', lastLine?.text ?? '(no output)');
  }
  if (!dumpEnd) {
    fail('dump-failed', lastLine?.text ?? '(no output)');
  }

  const ddBytes = marks.map((l) => /LAB: dd: (\d+) bytes/.exec(l.text)).find((m) => m !== null);
  const bytes = ddBytes ? Number(ddBytes[1]) : host.dumpDiskBytes;
  const end = dumpEnd ?? lastLine;

  const errors = lines
    .filter(
      (l) =>
        ERROR_WORDS.test(l.text) &&
        !/^(initcall|calling) /.test(l.text) &&
        !/probe of .* returned 0/.test(l.text),
    )
    .slice(0, 40)
    .map((l) => `${l.phase}: ${l.text}`);

  const memTotal = captureUp ? Number(markArgs(captureUp.text).kv.mem_total_kb) : NaN;

  return {
    schema: 'kdump-lab-observation/1',
    id: cycleId(config),
    kernel: host.kernel,
    accel: 'tcg',
    config: { ...config, devices: [...config.devices] },
    outcome,
    failure,
    stages: {
      crashAtHostMs: crash ? round(crash.hostMs) : null,
      crashToCaptureKernelMs:
        crash && captureStart ? round(captureStart.hostMs - crash.hostMs) : null,
      captureKernelBootMs:
        typeof captureUp?.kernelMs === 'number' ? round(captureUp.kernelMs) : null,
      deviceInitMs:
        started.length > 0 && drivers.every((d) => d.loadMs !== null)
          ? round(drivers.reduce((s, d) => s + (d.loadMs ?? 0), 0))
          : null,
      dumpMs:
        typeof dumpStart?.kernelMs === 'number' && typeof dumpEnd?.kernelMs === 'number'
          ? round(dumpEnd.kernelMs - dumpStart.kernelMs)
          : null,
      crashToEndMs: crash && end ? round(end.hostMs - crash.hostMs) : null,
    },
    captureMemTotalKiB: Number.isFinite(memTotal) ? memTotal : null,
    drivers,
    dump: dumpStart ? { level: config.dumpLevel, bytes: dumpEnd ? bytes : null } : null,
    errors,
    serialLog: host.serialLog,
  };
}

/**
 * The lines of a stamped log worth committing: the lab's marks, kernel starts,
 * probes and initcalls of the lab's drivers, panics and error lines. Parsing
 * the excerpt gives the same observation as parsing the whole log.
 */
export function serialLogExcerpt(log: string): string {
  const keep = (text: string) =>
    text.includes('LAB: ') ||
    /^Linux version |Command line: /.test(text) ||
    /probe of (0000:00:0[4-8]\.0|virtio0) returned/.test(text) ||
    /^initcall .*\[\w+\] returned/.test(text) ||
    OOM.test(text) ||
    PANIC.test(text) ||
    (ERROR_WORDS.test(text) && !/^(initcall|calling) /.test(text));
  const all = log.split('\n').filter((raw) => STAMPED.test(raw));
  return (
    all
      .filter((raw, i) => {
        if (i === all.length - 1) {
          return true;
        }
        const m = STAMPED.exec(raw);
        if (!m) {
          return false;
        }
        const k = KERNEL_TS.exec(m[2]!);
        return keep(k ? k[2]! : m[2]!);
      })
      .join('\n') + '\n'
  );
}
