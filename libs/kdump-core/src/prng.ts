/**
 * Keyed, counter-based random streams.
 *
 * A stream is identified by (experiment seed, server index, event index, purpose).
 * Its first state is a hash of that key, so a server's draws never depend on which
 * worker ran it, in which order, or how the fleet was sharded. Inside a stream,
 * draws come from sfc32 (Chris Doty-Humphrey's Small Fast Counting generator), whose
 * 32-bit counter word guarantees a period of at least 2^32.
 */

/** Why a stream is drawn; part of the key, so purposes never share draws. */
export const enum StreamPurpose {
  /** How many crash and reboot events a server has over the horizon. */
  EventCount = 1,
  /** Everything about one crash: cause, stage times, post-crash device states. */
  Crash = 2,
  /** Everything about one planned reboot. */
  Reboot = 3,
  /** When a crash happens within the horizon (failure domains only). */
  CrashTime = 4,
  /** Whether a server crashes in a storm, and when within its window. */
  StormMember = 5,
  /** A crash's dump at a shared target: the capture kernel's network wait and the transfer. */
  SharedDump = 6,
  /** When a storm given by a rate strikes a domain (keyed by the domain's first server). */
  StormTime = 7,
}

const TWO_POW_32 = 4294967296;

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function combine(h: number, word: number): number {
  return fmix32(Math.imul(h ^ word, 0x9e3779b1) + 0x7f4a7c15);
}

/**
 * A seeded sfc32 stream. Mutable by design: the engine keeps one instance and
 * re-keys it per crash instead of allocating.
 */
export class KeyedStream {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  /**
   * Positions the stream at the start of the sequence for a key.
   * @param seed experiment seed, an integer in [0, 2^53)
   * @param server server index in the fleet, an integer in [0, 2^32)
   * @param event event index of that server, an integer in [0, 2^32)
   * @param purpose what the draws are for
   */
  rekey(seed: number, server: number, event: number, purpose: StreamPurpose): this {
    const seedLo = seed >>> 0;
    const seedHi = Math.floor(seed / TWO_POW_32) >>> 0;
    let h = combine(0x6b64756d, seedLo); // "kdum"
    h = combine(h, seedHi);
    h = combine(h, server >>> 0);
    h = combine(h, event >>> 0);
    h = combine(h, purpose);
    let a = h;
    let b = combine(h, 0x243f6a88);
    let c = combine(h, 0x85a308d3);
    let d = 1;
    // A few rounds spread the hashed key through all four words (in locals: this
    // runs once per job).
    for (let i = 0; i < 8; i++) {
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      c = (c + t) | 0;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    return this;
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform draw in the open interval (0, 1): never 0, never 1, so logs are safe. */
  nextUniform(): number {
    return (this.nextUint32() + 0.5) / TWO_POW_32;
  }

  /** Fills `out[0..count)` with uniforms in (0, 1). */
  fillUniforms(out: Float64Array, count: number): void {
    let a = this.a;
    let b = this.b;
    let c = this.c;
    let d = this.d;
    for (let i = 0; i < count; i++) {
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      c = (c + t) | 0;
      out[i] = ((t >>> 0) + 0.5) / TWO_POW_32;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
  }
}

/** Convenience: a fresh stream for a key. */
export function keyedStream(
  seed: number,
  server: number,
  event: number,
  purpose: StreamPurpose,
): KeyedStream {
  return new KeyedStream().rekey(seed, server, event, purpose);
}

/**
 * A Poisson draw by inversion, consuming uniforms from the stream until the
 * product falls below e^-mean. Fine for the small means of per-server event
 * counts; refuses means where inversion would underflow.
 */
export function poissonDraw(stream: KeyedStream, mean: number): number {
  if (!(mean >= 0) || mean > 500) {
    throw new RangeError(`poisson mean must be in [0, 500], got ${mean}`);
  }
  const limit = Math.exp(-mean);
  let k = 0;
  let p = stream.nextUniform();
  while (p > limit) {
    k++;
    p *= stream.nextUniform();
  }
  return k;
}
