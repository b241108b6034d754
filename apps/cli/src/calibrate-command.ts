/**
 * `fleetsim calibrate FILE... [--out FILE]`: turns kdump lab observations
 * (lab/observations/*.json) or a fleet's own kdump history (CSV or JSON, see
 * calibrate-history.ts) into a catalogue block in YAML that a spec can carry
 * under `catalogue:`. Every value names the files it came from.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { stringify } from 'yaml';
import type { CalibrateCommand } from './args';
import {
  CalibrationError,
  calibrateFromLab,
  type LabCalibration,
  type SourcedObservation,
} from './calibrate';
import {
  fitHistory,
  historyCatalogue,
  HistoryFormatError,
  parseHistoryCsv,
  parseHistoryJson,
  type HistoryFit,
  type HistoryRow,
} from './calibrate-history';
import { UsageError, type CliIo } from './cli-io';
import { LabObservationSchema } from './lab-observation';

const ci = (p: { mean: number; lower: number; upper: number }) =>
  `${p.mean.toFixed(4)} [${p.lower.toFixed(4)}, ${p.upper.toFixed(4)}]`;

/** The YAML of a lab calibration, with a header that sums up what was measured. */
export function labCalibrationYaml(cal: LabCalibration): string {
  const head = [
    '# Calibrated by `fleetsim calibrate` from the kdump lab (lab/README.md); do not edit by hand:',
    '# re-run `npm run lab:calibrate` after new observations.',
    `# ${cal.observations} observations, kernel ${cal.kernel}, QEMU q35 under TCG (times are TCG times).`,
    ...cal.thresholds.map(
      (t) =>
        `# crashkernel= with reset_devices ${t.resetDevices ? 'on' : 'off'}: ${t.lastFailingMiB}M fails, ${t.firstWorkingMiB}M captures (need taken as ${t.needMiB}M)`,
    ),
    '# driver            memory MiB  probe ms (median)  reset_devices extra ms',
    ...cal.drivers.map(
      (d) =>
        `#   ${d.driver.padEnd(16)} ${String(d.memoryMiB).padStart(10)}  ${String(d.medianProbeMs).padStart(17)}  ${d.resetDevicesExtraMs ?? '-'}`,
    ),
    '# dump (makedumpfile to the NVMe disk):',
    ...Object.entries(cal.dump.percentOfRamByLevel).map(
      ([level, p]) =>
        `#   makedumpfile -d ${level}: ${p.medianPercent} % of RAM, ${cal.dump.msPerGiBByLevel[level]} ms per GiB of RAM`,
    ),
    `# busy at the crash: ${cal.busyCycles.probesFailed} of ${cal.busyCycles.probes} probes failed in ${cal.busyCycles.cycles} cycles`,
  ];
  return head.join('\n') + '\n' + stringify(cal.catalogue, { lineWidth: 0 });
}

/** The YAML of a fleet history fit: odds in the header, the catalogue block below. */
export function historyYaml(fits: HistoryFit[], rows: HistoryRow[], files: string[]): string {
  const head = [
    '# Fitted by `fleetsim calibrate` from a fleet kdump history:',
    `# ${files.join(', ')}: ${rows.length} crashes. Odds: beta posterior mean [95 % interval], uniform prior.`,
  ];
  for (const f of fits) {
    head.push(`# ${f.profile} / ${f.strategy}: ${f.crashes} crashes, captured ${ci(f.capture)}`);
    for (const [reason, p] of Object.entries(f.reasons)) {
      head.push(`#   ${reason}: ${p.successes} seen, ${ci(p)}`);
    }
    for (const [field, t] of Object.entries(f.times)) {
      head.push(`#   ${field}: median ${t.medianMs}, p95 ${t.p95Ms} (${t.count} crashes)`);
    }
  }
  return head.join('\n') + '\n' + stringify(historyCatalogue(fits, rows, files), { lineWidth: 0 });
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

export async function calibrateCommand(cmd: CalibrateCommand, io: CliIo): Promise<number> {
  const lab: SourcedObservation[] = [];
  const history: HistoryRow[] = [];
  const historyFiles: string[] = [];
  try {
    for (const file of cmd.files) {
      const text = await readText(file);
      if (extname(file).toLowerCase() === '.csv') {
        history.push(...parseHistoryCsv(text, basename(file)));
        historyFiles.push(basename(file));
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        throw new UsageError(`${file}: not JSON: ${(e as Error).message}`);
      }
      if ((value as { schema?: unknown } | null)?.schema === 'kdump-lab-observation/1') {
        const parsed = LabObservationSchema.safeParse(value);
        if (!parsed.success) {
          throw new UsageError(
            `${file}: not a lab observation: ${parsed.error.issues[0]?.message}`,
          );
        }
        lab.push({ file: basename(file), observation: parsed.data });
      } else {
        history.push(...parseHistoryJson(value, basename(file)));
        historyFiles.push(basename(file));
      }
    }
    if (lab.length > 0 && history.length > 0) {
      throw new UsageError(
        'give either lab observations or a fleet history, not both (they calibrate different profiles)',
      );
    }
    const yaml =
      lab.length > 0
        ? labCalibrationYaml(calibrateFromLab(lab))
        : historyYaml(fitHistory(history), history, historyFiles);
    if (cmd.out !== undefined) {
      await writeFile(cmd.out, yaml);
      io.err(`wrote ${cmd.out}\n`);
    } else {
      io.out(yaml);
    }
    return 0;
  } catch (e) {
    if (e instanceof CalibrationError || e instanceof HistoryFormatError) {
      io.err(`fleetsim calibrate: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
