/**
 * Draws times from compiled distributions and counts the transforms it made, by
 * kind, so a benchmark can build a floor loop doing exactly the same work.
 */
import { sampleMicros, type CompiledDistribution } from './distribution';

export class Sampler {
  /** Draws made, indexed by {@link DistributionKind}. */
  readonly drawsByKind = new Float64Array(5);

  /** One draw in integer µs from the uniform `u`. */
  draw(d: CompiledDistribution, u: number): number {
    this.drawsByKind[d.kind]! += 1;
    return sampleMicros(d, u);
  }
}
