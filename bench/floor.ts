/**
 * The floor: the irreducible work of the model without the model. Per server it
 * draws the same Poisson event counts from the same keyed stream (so it meets the
 * very same crashes), and per crash, in one function call per crash as the engine
 * does, it re-keys a KeyedStream with the same key shape, fills the same number
 * of uniforms, makes the same number of transforms of each distribution kind with
 * the model's own compiled distributions fed by those uniforms, and makes the same
 * number of histogram inserts into an aggregate of the engine's layout, cycling
 * through the histograms the model fills.
 *
 * The per-crash counts come from the engine's work counters over one full round.
 * They are fractional on average; each is split as base + a Bresenham carry, so
 * over a round the floor's totals equal the model's exactly.
 */
import {
  emptyAggregate,
  type Aggregate,
  type AggregateLayout,
  type CompiledDistribution,
  type CompiledExperiment,
  type ShardTask,
} from '../libs/kdump-core/src';
// The hot functions come from their own modules, as the engine imports them: through the
// index, every call would go through the CommonJS re-export getter (measured: ~11 % of the
// floor's time), which the engine does not pay.
import { sampleMicros } from '../libs/kdump-core/src/distribution';
import { recordMicros } from '../libs/kdump-core/src/histogram';
import { KeyedStream, StreamPurpose } from '../libs/kdump-core/src/prng';

/** Distribution kinds, as `EngineCounters.drawsByKind` indexes them. */
export const KIND_NAMES = ['constant', 'uniform', 'exponential', 'lognormal', 'empirical'];
const KINDS = KIND_NAMES.length;

/** The work of one round, as the engine counted it (or as the floor counted its own). */
export interface RoundWork {
  /** Crash plus reboot jobs. */
  jobs: number;
  /** Uniforms of the jobs' blocks (the engine's `counters.uniforms`). */
  uniforms: number;
  /** Transforms by distribution kind. */
  drawsByKind: number[];
  histogramInserts: number;
}

/** Quantity slots of the per-job plan: uniforms, then one per kind, then inserts. */
const Q_UNIFORMS = 0;
const Q_KIND = 1;
const Q_INSERTS = 1 + KINDS;
const QUANTITIES = 2 + KINDS;

/** Every distinct compiled distribution of the model (by kind and parameters). */
export function modelDistributions(model: CompiledExperiment): CompiledDistribution[] {
  const all: CompiledDistribution[] = [...model.causeDetection];
  for (const p of model.profiles) {
    all.push(
      ...p.devDist,
      ...p.busResetDist,
      p.crashKexec,
      p.cpuStop,
      p.captureKernelBoot,
      p.dumpPercent,
      p.dumpUsPerGiB,
      p.firmwarePost,
      p.kernelBoot,
    );
  }
  const seen = new Set<string>();
  return all.filter((d) => {
    const key = `${d.kind}:${d.a}:${d.b}:${Array.from(d.values).join(',')}`;
    if (seen.has(key)) {
      return false;
    }
    seen.add(key);
    return true;
  });
}

// Module-level scratch, as the engine keeps its own: no allocation per crash.
const uniforms = new Float64Array(4096);
const values = new Float64Array(4096);

export class FloorLoop {
  /** What the floor did, to print beside the engine's counters. */
  readonly counters = {
    jobs: 0,
    uniforms: 0,
    /** Uniforms of the per-server Poisson event counts (the engine does not count these). */
    eventCountUniforms: 0,
    drawsByKind: new Float64Array(KINDS),
    histogramInserts: 0,
  };
  private readonly stream = new KeyedStream();
  private readonly seed: number;
  private readonly jobsPerRound: number;
  private readonly base = new Float64Array(QUANTITIES);
  private readonly remainder = new Float64Array(QUANTITIES);
  private readonly carry = new Float64Array(QUANTITIES);
  /** Distributions grouped by kind: `dists[kindStart[k] .. kindStart[k] + kindLength[k])`. */
  private readonly dists: CompiledDistribution[] = [];
  private readonly kindStart = new Int32Array(KINDS);
  private readonly kindLength = new Int32Array(KINDS);
  private readonly kindCursor = new Int32Array(KINDS);
  private readonly histogramBases: Int32Array;
  private histogramCursor = 0;
  private readonly crashLimit: number;
  private readonly rebootLimit: number;
  private slots: Float64Array = new Float64Array(0);

  /**
   * @param round the engine's work over one round (the same servers the floor will run)
   * @param histogramBases starts of the histograms the model fills, cycled through
   */
  constructor(
    private readonly model: CompiledExperiment,
    readonly layout: AggregateLayout,
    round: RoundWork,
    histogramBases: readonly number[],
  ) {
    if (round.jobs <= 0 || histogramBases.length === 0) {
      throw new RangeError('the floor needs a round with jobs and at least one filled histogram');
    }
    this.seed = model.seed;
    this.jobsPerRound = round.jobs;
    this.histogramBases = Int32Array.from(histogramBases);
    const totals = [round.uniforms, ...round.drawsByKind, round.histogramInserts];
    totals.forEach((total, q) => {
      this.base[q] = Math.floor(total / round.jobs);
      this.remainder[q] = total - this.base[q]! * round.jobs;
    });

    const byKind = modelDistributions(model);
    for (let k = 0; k < KINDS; k++) {
      const ofKind = byKind.filter((d) => d.kind === k);
      if (round.drawsByKind[k]! > 0 && ofKind.length === 0) {
        throw new RangeError(`the model drew ${KIND_NAMES[k]} values but has no such distribution`);
      }
      this.kindStart[k] = this.dists.length;
      this.kindLength[k] = ofKind.length;
      this.dists.push(...ofKind);
    }

    // Every transform reads its own uniform; every insert reuses a transform's value.
    let mostTransforms = 0;
    let fewestTransforms = 0;
    for (let k = 0; k < KINDS; k++) {
      mostTransforms += this.base[Q_KIND + k]! + (this.remainder[Q_KIND + k]! > 0 ? 1 : 0);
      fewestTransforms += this.base[Q_KIND + k]!;
    }
    const mostUniforms = this.base[Q_UNIFORMS]! + 1;
    if (mostTransforms > this.base[Q_UNIFORMS]! || mostUniforms > uniforms.length) {
      throw new RangeError(
        `floor plan does not fit: ${mostTransforms} transforms, ${mostUniforms} uniforms per job`,
      );
    }
    if (fewestTransforms < 1 && round.histogramInserts > 0) {
      throw new RangeError('floor plan needs at least one transform per job to feed its inserts');
    }
    const m = model;
    this.crashLimit = m.crashes ? Math.exp(-m.crashes.poissonMean) : 0;
    this.rebootLimit = m.reboots ? Math.exp(-m.reboots.poissonMean) : 0;
  }

  /** Starts a round: carries and cursors back to zero so its totals match the engine's. */
  startRound(): void {
    this.carry.fill(0);
    this.kindCursor.fill(0);
    this.histogramCursor = 0;
  }

  /** Floor work of servers [serverStart, serverEnd), into a fresh aggregate as `runShard` does. */
  runShard(task: ShardTask, into: Aggregate = emptyAggregate(this.layout)): Aggregate {
    this.slots = into.slots;
    const m = this.model;
    for (let server = task.serverStart; server < task.serverEnd; server++) {
      this.slots[this.layout.serversSlot]! += 1;
      if (m.crashes) {
        const count =
          m.crashes.fixed ?? this.poisson(server, 0, this.crashLimit, StreamPurpose.EventCount);
        for (let e = 0; e < count; e++) {
          this.job(server, e, StreamPurpose.Crash);
        }
      }
      if (m.reboots) {
        const count =
          m.reboots.fixed ?? this.poisson(server, 1, this.rebootLimit, StreamPurpose.EventCount);
        for (let e = 0; e < count; e++) {
          this.job(server, e, StreamPurpose.Reboot);
        }
      }
    }
    return into;
  }

  /** The same inversion as the engine's `poissonDraw`, on the same keyed stream. */
  private poisson(server: number, which: number, limit: number, purpose: StreamPurpose): number {
    const s = this.stream.rekey(this.seed, server, which, purpose);
    let k = 0;
    let p = s.nextUniform();
    while (p > limit) {
      k++;
      p *= s.nextUniform();
    }
    this.counters.eventCountUniforms += k + 1;
    return k;
  }

  /** How many of quantity `q` this job does: its base, plus one when the carry overflows. */
  private take(q: number): number {
    let n = this.base[q]!;
    const c = this.carry[q]! + this.remainder[q]!;
    if (c >= this.jobsPerRound) {
      this.carry[q] = c - this.jobsPerRound;
      n++;
    } else {
      this.carry[q] = c;
    }
    return n;
  }

  /** One crash (or reboot): one call, as the engine makes one `simulateCrash` call. */
  private job(server: number, event: number, purpose: StreamPurpose): void {
    const c = this.counters;
    const u = uniforms;
    const nU = this.take(Q_UNIFORMS);
    this.stream.rekey(this.seed, server, event, purpose).fillUniforms(u, nU);

    let t = 0;
    for (let k = 0; k < KINDS; k++) {
      const n = this.take(Q_KIND + k);
      if (n === 0) {
        continue;
      }
      const start = this.kindStart[k]!;
      const length = this.kindLength[k]!;
      let cursor = this.kindCursor[k]!;
      for (let i = 0; i < n; i++) {
        values[t] = sampleMicros(this.dists[start + cursor]!, u[t]!);
        t++;
        cursor++;
        if (cursor === length) {
          cursor = 0;
        }
      }
      this.kindCursor[k] = cursor;
      c.drawsByKind[k]! += n;
    }

    const nI = this.take(Q_INSERTS);
    const slots = this.slots;
    const bases = this.histogramBases;
    let h = this.histogramCursor;
    let v = 0;
    for (let i = 0; i < nI; i++) {
      recordMicros(slots, bases[h]!, values[v]!);
      h++;
      if (h === bases.length) {
        h = 0;
      }
      v++;
      if (v === t) {
        v = 0;
      }
    }
    this.histogramCursor = h;
    c.jobs++;
    c.uniforms += nU;
    c.histogramInserts += nI;
  }
}
