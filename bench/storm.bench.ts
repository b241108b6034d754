/**
 * Storm benchmark (`npm run bench:storm`): the domain-coupled path against the
 * independent path on the same fleet, in one thread, interleaved rounds after a
 * warm-up. bench/storm-100k.yaml: 100,000 servers in ten racks, each dumping to
 * its own NFS server, a storm that crashes every server within ten minutes
 * (100,000 crash jobs through ten dump servers); the independent run is the
 * same fleet, strategies and cause with one crash per server and no domains
 * (100,000 crash jobs, today's fast path). Figures are crash jobs per CPU
 * second of this process (user + system), and their ratio; plus the share of
 * the coupled run spent in the per-crash adapter (domain-crash-outcome.ts, over
 * FleetEngine.simulateJob). `BENCH_ROUNDS` (default 3) and `STORM_BENCH_SPEC`
 * change the rounds and the spec.
 *
 * Ends with one JSON line of the headline figures.
 */
import * as fs from 'node:fs';
import {
  compileExperiment,
  CrashOutcomeSource,
  emptyCrashOutcomes,
  parseSpecText,
  runExperiment,
  STORM_EVENT_BASE,
  validateSpec,
  type ResolvedSpec,
} from '../libs/kdump-core/src';
import { int, median, round, showSpread, spread, table } from './stats';

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function resolved(spec: unknown, what: string): ResolvedSpec {
  const r = validateSpec(spec);
  if (!r.ok) {
    throw new Error(`${what}: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  }
  return r.resolved;
}

function main(): void {
  const specPath = process.env.STORM_BENCH_SPEC ?? 'bench/storm-100k.yaml';
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const parsed = parseSpecText(fs.readFileSync(specPath, 'utf8'));
  if (!parsed.ok) {
    throw new Error(`${specPath}: ${parsed.errors.map((e) => e.message).join('; ')}`);
  }
  const coupled = parsed.resolved;
  const spec = coupled.spec;
  const causes = spec.storms?.[0]?.causes ?? spec.events.crash!.causes;
  const { dumpTargets: _t, domains: _d, storms: _s, ...plain } = spec;
  const independent = resolved(
    { ...plain, name: `${spec.name}-independent`, events: { crash: { perServer: 1, causes } } },
    'the independent spec',
  );

  const measure = (r: ResolvedSpec) => {
    const start = cpuSeconds();
    const result = runExperiment(r);
    const cpu = cpuSeconds() - start;
    const jobs = result.report.coupling
      ? result.report.coupling.strategies[0]!.crashes
      : result.report.crash!.jobs;
    return { cpu, jobs, perSecond: jobs / cpu, report: result.report };
  };

  console.log(
    `Storm benchmark: ${specPath} (${int(coupled.servers)} servers, ${spec.domains?.reduce((a, d) => a + (d.count ?? 1), 0) ?? 0} dump servers, ${spec.strategies.length} strateg${spec.strategies.length === 1 ? 'y' : 'ies'}), ${rounds} interleaved rounds after a warm-up, one thread`,
  );
  measure(independent);
  measure(coupled);
  const ind: number[] = [];
  const cou: number[] = [];
  const ratios: number[] = [];
  const cpuCoupled: number[] = [];
  let last = measure(coupled);
  for (let i = 0; i < rounds; i++) {
    const a = measure(independent);
    const b = measure(coupled);
    last = b;
    ind.push(a.perSecond);
    cou.push(b.perSecond);
    ratios.push(b.perSecond / a.perSecond);
    cpuCoupled.push(b.cpu);
    console.log(
      `  round ${i + 1}: independent ${int(a.perSecond)} crashes/CPU-s (${a.cpu.toFixed(2)} s), coupled ${int(b.perSecond)} crashes/CPU-s (${b.cpu.toFixed(2)} s)`,
    );
  }

  // The adapter alone: every storm crash's per-strategy outcome, as the domain run asks for it.
  const model = compileExperiment(coupled);
  const source = new CrashOutcomeSource(model, causes);
  const out = emptyCrashOutcomes(model.strategies.length);
  const n = Math.min(model.servers, 20_000);
  const start = cpuSeconds();
  for (let server = 0; server < n; server++) {
    source.outcome(server, STORM_EVENT_BASE, out);
  }
  const adapterPerCrash = (cpuSeconds() - start) / n;
  const adapterShare = (adapterPerCrash * last.jobs) / median(cpuCoupled);

  const c = last.report.coupling!.strategies[0]!;
  const storm = last.report.coupling!.storms[0]?.strategies[0];
  console.log('');
  console.log(
    table(
      ['figure', 'value'],
      [
        ['independent path, crashes / CPU-s', showSpread(spread(ind), int)],
        ['domain-coupled path, crashes / CPU-s', showSpread(spread(cou), int)],
        ['coupled ÷ independent', showSpread(spread(ratios), (x) => `${x.toFixed(3)}×`)],
        ['coupled run, CPU seconds', showSpread(spread(cpuCoupled), (x) => `${x.toFixed(2)} s`)],
        [
          'adapter (simulateJob) share of the coupled run',
          `${(adapterShare * 100).toFixed(0)} % (${(adapterPerCrash * 1e6).toFixed(1)} µs a crash)`,
        ],
        [
          'crashes in domains / dumps captured / lost',
          `${int(c.crashes)} / ${int(c.captured)} / ${int(c.lostToContention)}`,
        ],
        [
          'last dump of the storm captured after',
          storm?.lastCaptureSeconds === undefined || storm.lastCaptureSeconds === null
            ? '-'
            : `${(storm.lastCaptureSeconds / 60).toFixed(1)} min`,
        ],
      ],
    ),
  );
  console.log(
    JSON.stringify({
      storm: {
        spec: specPath,
        crashes: c.crashes,
        independentCrashesPerCpuSecond: round(median(ind), 0),
        coupledCrashesPerCpuSecond: round(median(cou), 0),
        coupledOverIndependent: round(median(ratios)),
        coupledCpuSeconds: round(median(cpuCoupled), 2),
        adapterShare: round(adapterShare),
      },
    }),
  );
}

main();
