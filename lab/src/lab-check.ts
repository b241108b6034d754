/**
 * `npm run lab:check`: repeats a few cycles on QEMU and compares them with what
 * the calibrated profile predicts (lab/calibrated/qemu-q35.yaml). Off by default
 * (not in `npm test`), time-boxed: no new cycle starts once the budget is spent.
 * The fresh observations go to lab/.cache/check/, not into the committed set.
 *
 *   tsx lab/src/lab-check.ts [--budget-s 300] [--timeout-s 120] [--reuse]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { LabObservationSchema, type LabObservation } from '../../apps/cli/src/lab-observation';
import { join } from 'node:path';
import { DEFAULT_CYCLE, type CycleConfig } from './cycle-config';
import { CACHE_DIR, LAB_DIR } from './qemu-cycle';
import { runMatrix } from './matrix';
import { formatChecks, predictionChecks, readCatalogueBlock } from './prediction';

export const CALIBRATED_PATH = join(LAB_DIR, 'calibrated', 'qemu-q35.yaml');

/**
 * Cycles that test the prediction: the last reservation that failed and the
 * first that worked (from the calibrated file's header), and a 4 GiB machine
 * (dump time against RAM).
 */
export function checkCycles(calibratedYaml: string): CycleConfig[] {
  const m = /reset_devices on: (\d+)M fails, (\d+)M captures/.exec(calibratedYaml);
  if (!m) {
    throw new Error(`${CALIBRATED_PATH} has no "reset_devices on: ...M fails, ...M captures" line`);
  }
  const failing = Number(m[1]);
  const working = Number(m[2]);
  return [
    { ...DEFAULT_CYCLE, crashkernelMiB: failing },
    { ...DEFAULT_CYCLE, crashkernelMiB: working },
    { ...DEFAULT_CYCLE, crashkernelMiB: working + 64, ramGiB: 4 },
  ];
}

async function main(argv: string[]): Promise<number> {
  let budgetMs = 300_000;
  let timeoutMs = 120_000;
  let reuse = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--reuse') {
      reuse = true;
    } else if (argv[i] === '--budget-s') {
      budgetMs = Number(argv[++i]) * 1000;
    } else if (argv[i] === '--timeout-s') {
      timeoutMs = Number(argv[++i]) * 1000;
    } else {
      throw new Error(`unknown option ${argv[i]}; use --budget-s <s>, --timeout-s <s>, --reuse`);
    }
  }
  const yamlText = readFileSync(CALIBRATED_PATH, 'utf8');
  const block = readCatalogueBlock(yamlText);
  const started = Date.now();
  const fresh: LabObservation[] = [];
  const checkDir = join(CACHE_DIR, 'check');
  if (reuse) {
    // Compare the last fresh cycles again (after a change of the profile), no QEMU.
    for (const f of readdirSync(checkDir).filter((x) => x.endsWith('.json'))) {
      fresh.push(LabObservationSchema.parse(JSON.parse(readFileSync(join(checkDir, f), 'utf8'))));
    }
  }
  for (const c of reuse ? [] : checkCycles(yamlText)) {
    if (Date.now() - started > budgetMs) {
      console.log(`budget of ${budgetMs / 1000} s spent: no more cycles`);
      break;
    }
    fresh.push(
      ...(await runMatrix([c], {
        timeoutMs,
        outDir: checkDir,
        fullLogDir: join(checkDir, 'full-logs'),
        excerpts: false,
      })),
    );
  }
  const checks = predictionChecks(block, fresh);
  process.stdout.write(formatChecks(checks));
  const failed = checks.filter((c) => !c.ok).length;
  console.log(`${checks.length - failed} of ${checks.length} predictions held on fresh cycles`);
  return failed === 0 && checks.length > 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
