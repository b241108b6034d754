/**
 * A shard job names its experiment's spec instead of carrying a copy: the
 * coordinator stores the spec once (the `spec` field of the experiment's
 * record), and every shard job carries a {@link SpecRef} to it with its
 * SHA-256. A worker reads it once per spec and thread and checks the digest, so
 * a record rewritten under the same key is never run as the old spec.
 */
import { createHash } from 'node:crypto';
import type { SpecRef } from '../../kdump-core/src';

/** SHA-256 (hex) of a spec's JSON text, as stored. */
export function specSha256(json: string): string {
  return createHash('sha256').update(json, 'utf8').digest('hex');
}

/** The reference to a spec stored as JSON text in field `field` of hash `key`. */
export function specRefOf(key: string, field: string, json: string): SpecRef {
  return { key, field, sha256: specSha256(json) };
}

/** The spec is gone from Redis or is not the one referred to: the job can never run. */
export class SpecRefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecRefError';
  }
}

/**
 * Resolves spec references with `hget`, keeping the last few specs by digest
 * (a worker runs many shards of the same spec).
 */
export class SpecResolver {
  private readonly specs = new Map<string, unknown>();

  constructor(
    private readonly hget: (key: string, field: string) => Promise<string | null>,
    private readonly capacity = 8,
  ) {}

  /** The spec a job carries, or the one its `specRef` names. */
  async specOf(data: { spec?: unknown; specRef?: SpecRef }): Promise<unknown> {
    const ref = data.specRef;
    if (ref === undefined) {
      return data.spec;
    }
    const hit = this.specs.get(ref.sha256);
    if (hit !== undefined) {
      return hit;
    }
    const json = await this.hget(ref.key, ref.field);
    if (json === null) {
      throw new SpecRefError(
        `the spec ${ref.key} ${ref.field} is gone from Redis (its experiment was deleted?)`,
      );
    }
    if (specSha256(json) !== ref.sha256) {
      throw new SpecRefError(
        `the spec at ${ref.key} ${ref.field} has SHA-256 ${specSha256(json)}, the job wants ${ref.sha256}`,
      );
    }
    const spec = JSON.parse(json) as unknown;
    this.specs.set(ref.sha256, spec);
    while (this.specs.size > this.capacity) {
      this.specs.delete(this.specs.keys().next().value!);
    }
    return spec;
  }
}
