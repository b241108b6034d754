/**
 * Draws times from compiled distributions and counts the transforms it made, by
 * kind, so a benchmark can build a floor loop doing exactly the same work.
 */
import { sampleMicrosAt, type CompiledDistribution } from './distribution';

export class Sampler {
  /** Draws made, indexed by {@link DistributionKind}. */
  readonly drawsByKind = new Float64Array(5);

  /**
   * One draw in integer µs from the uniform `uniforms[slot]` (an array and an
   * index, not the uniform itself: see `sampleMicrosAt`).
   */
  draw(d: CompiledDistribution, uniforms: Float64Array, slot: number): number {
    this.drawsByKind[d.kind]! += 1;
    return sampleMicrosAt(d, uniforms, slot);
  }
}
