/**
 * `npm run lab`: runs the lab matrix, one QEMU cycle at a time, and writes one
 * observation per cycle to lab/observations/<id>.json with a serial log excerpt
 * beside it (lab/observations/logs/<id>.log), then recalibrates
 * lab/calibrated/qemu-q35.yaml from every observation there. Full logs stay in
 * lab/.cache/logs.
 *
 *   tsx lab/src/matrix.ts [--quick] [--only <id-substring>] [--timeout-s 120] [--reparse]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cycleId, DEFAULT_CYCLE, type CycleConfig } from './cycle-config';
import { CACHE_DIR, IMAGES_DIR, LAB_DIR, runCycle } from './qemu-cycle';
import { parseSerialLog, serialLogExcerpt } from './serial-log';
import type { LabObservation } from '../../apps/cli/src/lab-observation';
import { main } from '../../apps/cli/src/main';

export const OBSERVATIONS_DIR = join(LAB_DIR, 'observations');
const REPO_DIR = join(LAB_DIR, '..');

const at = (over: Partial<CycleConfig>): CycleConfig => ({ ...DEFAULT_CYCLE, ...over });

/**
 * The default matrix (14 cycles, 8 to 11 minutes of one core): the crashkernel=
 * sweep around the threshold with and without reset_devices, then one change at
 * a time (dump level, RAM, quiet devices, no irqpoll, a stray DMA into the
 * reservation from a device left running).
 */
export const DEFAULT_MATRIX: CycleConfig[] = [
  at({ crashkernelMiB: 64 }),
  at({ crashkernelMiB: 72 }),
  at({ crashkernelMiB: 80 }),
  at({ crashkernelMiB: 88 }),
  at({ crashkernelMiB: 96 }),
  at({ crashkernelMiB: 128 }),
  at({ crashkernelMiB: 80, resetDevices: false }),
  at({ crashkernelMiB: 96, resetDevices: false }),
  at({ crashkernelMiB: 128, resetDevices: false }),
  at({ crashkernelMiB: 192, dumpLevel: 1 }),
  at({ crashkernelMiB: 192, ramGiB: 4 }),
  at({ crashkernelMiB: 128, busyAtCrash: false }),
  at({ crashkernelMiB: 128, irqpoll: false }),
  at({ crashkernelMiB: 128, strayDma: true }),
];

/** Three cycles: one failing and one working reservation, and a second RAM size. */
export const QUICK_MATRIX: CycleConfig[] = [
  at({ crashkernelMiB: 96 }),
  at({ crashkernelMiB: 128 }),
  at({ crashkernelMiB: 192, ramGiB: 4 }),
];

export interface MatrixOptions {
  timeoutMs: number;
  /** Where observations go; lab/observations by default. */
  outDir: string;
  /** Where full serial logs go; lab/.cache/logs by default (lab:check keeps its own). */
  fullLogDir?: string;
  /** Write the excerpts next to the observations. */
  excerpts: boolean;
}

/** Runs cycles one by one, printing progress, and returns their observations. */
export async function runMatrix(
  cycles: CycleConfig[],
  opts: MatrixOptions,
): Promise<LabObservation[]> {
  const kernel = readFileSync(join(IMAGES_DIR, 'kernel-version'), 'utf8').trim();
  mkdirSync(join(opts.outDir, 'logs'), { recursive: true });
  const fullLogDir = opts.fullLogDir ?? join(CACHE_DIR, 'logs');
  mkdirSync(fullLogDir, { recursive: true });
  const observations: LabObservation[] = [];
  const t0 = Date.now();
  for (const [i, c] of cycles.entries()) {
    const id = cycleId(c);
    process.stdout.write(`[${i + 1}/${cycles.length}] ${id} ... `);
    const logPath = join(fullLogDir, `${id}.log`);
    const run = await runCycle(c, { timeoutMs: opts.timeoutMs, logPath });
    const excerptPath = join(opts.outDir, 'logs', `${id}.log`);
    const obs = parseSerialLog(run.log, c, {
      kernel,
      timedOut: run.timedOut,
      dumpDiskBytes: run.dumpDiskBytes,
      serialLog: relative(REPO_DIR, opts.excerpts ? excerptPath : logPath),
    });
    if (opts.excerpts) {
      writeFileSync(excerptPath, serialLogExcerpt(run.log));
    }
    writeFileSync(join(opts.outDir, `${id}.json`), JSON.stringify(obs, null, 2) + '\n');
    observations.push(obs);
    const eta = ((Date.now() - t0) / (i + 1)) * (cycles.length - i - 1);
    const detail =
      obs.outcome === 'captured'
        ? `dump ${obs.stages.dumpMs} ms, ${((obs.dump?.bytes ?? 0) / 2 ** 20).toFixed(0)} MiB`
        : `${obs.failure?.line ?? ''}${obs.failure?.driver ? ` (in ${obs.failure.driver})` : ''}`;
    console.log(
      `${obs.outcome} in ${(run.wallMs / 1000).toFixed(1)} s: ${detail}; ETA ${(eta / 1000).toFixed(0)} s`,
    );
  }
  return observations;
}

/**
 * Parses the cached full logs (lab/.cache/logs) of the committed observations
 * again, after a parser change, without QEMU: the host facts (dump disk bytes,
 * timeout) come from the observation itself.
 */
export function reparseObservations(outDir: string): number {
  let n = 0;
  for (const file of readdirSync(outDir).filter((f) => f.endsWith('.json'))) {
    const old = JSON.parse(readFileSync(join(outDir, file), 'utf8')) as LabObservation;
    // The full log when the cache has it, else the committed excerpt (which
    // parses to the same observation).
    const logPath = join(CACHE_DIR, 'logs', `${old.id}.log`);
    const excerptPath = join(outDir, 'logs', `${old.id}.log`);
    const log = readFileSync(existsSync(logPath) ? logPath : excerptPath, 'utf8');
    const obs = parseSerialLog(log, old.config as CycleConfig, {
      kernel: old.kernel,
      timedOut: old.outcome === 'timeout',
      dumpDiskBytes: old.dump?.bytes ?? null,
      serialLog: relative(REPO_DIR, excerptPath),
    });
    writeFileSync(excerptPath, serialLogExcerpt(log));
    writeFileSync(join(outDir, file), JSON.stringify(obs, null, 2) + '\n');
    n++;
  }
  return n;
}

function parseArgs(argv: string[]): { cycles: CycleConfig[]; timeoutMs: number } {
  let cycles = DEFAULT_MATRIX;
  let timeoutMs = 120_000;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--reparse') {
      console.log(`${reparseObservations(OBSERVATIONS_DIR)} observations parsed again`);
      process.exit(0);
    } else if (a === '--quick') {
      cycles = QUICK_MATRIX;
    } else if (a === '--only') {
      const part = argv[++i] ?? '';
      cycles = cycles.filter((c) => cycleId(c).includes(part));
    } else if (a === '--timeout-s') {
      timeoutMs = Number(argv[++i]) * 1000;
    } else {
      throw new Error(
        `unknown option ${a}; use --quick, --only <id part>, --timeout-s <s>, --reparse`,
      );
    }
  }
  return { cycles, timeoutMs };
}

/** `fleetsim calibrate lab/observations/*.json --out lab/calibrated/qemu-q35.yaml`. */
export async function recalibrate(): Promise<number> {
  const files = readdirSync(OBSERVATIONS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(OBSERVATIONS_DIR, f));
  mkdirSync(join(LAB_DIR, 'calibrated'), { recursive: true });
  return main(['calibrate', ...files, '--out', join(LAB_DIR, 'calibrated', 'qemu-q35.yaml')]);
}

if (require.main === module) {
  const { cycles, timeoutMs } = parseArgs(process.argv.slice(2));
  runMatrix(cycles, { timeoutMs, outDir: OBSERVATIONS_DIR, excerpts: true }).then(
    async (obs) => {
      console.log(`${obs.length} observations in ${relative(process.cwd(), OBSERVATIONS_DIR)}`);
      process.exitCode = await recalibrate();
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
