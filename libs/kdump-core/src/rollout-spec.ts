/**
 * The spec's `rollout:` block: planned reboots of the whole fleet in waves, with
 * a halt condition. Its schema, and the checks that need the rest of the spec.
 *
 * Waves are cut in fleet order (the order of the spec's `fleet:` entries, then
 * server index): an optional canary wave of `canary` servers first, then waves
 * of `waveSize` servers (the last one may be smaller).
 */
import { z } from 'zod';

/** Most waves one roll-out may have: the per-wave results travel with every shard. */
export const MAX_ROLLOUT_WAVES = 1000;

export const RolloutSchema = z
  .strictObject({
    waveSize: z.number().int().min(1).describe('servers rebooted together in each wave'),
    canary: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('servers of a first, smaller canary wave (default: no canary wave)'),
    intervalMinutes: z
      .number()
      .min(0)
      .max(525_600)
      .optional()
      .describe(
        'cadence: the least time from the start of one wave to the start of the next (default 0)',
      ),
    soakMinutes: z
      .number()
      .min(0)
      .max(525_600)
      .optional()
      .describe(
        'how long a wave must have been fully back in service before the next starts; the last wave soaks too (default 0)',
      ),
    haltWhenNotBackShareAbove: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'halt the roll-out after the first wave whose share of servers not back in service exceeds this (0..1; default: never halt)',
      ),
  })
  .describe(
    'planned reboots (events.reboot, perServer: 1) of the fleet in waves, in fleet order, with a halt condition',
  );

export type RolloutSpec = z.infer<typeof RolloutSchema>;

/** The parts of a spec the roll-out's checks read. */
interface SpecView {
  rollout?: RolloutSpec;
  events: { reboot?: { perServer?: number; ratePerServerYear?: number } };
}

/** How many waves a roll-out of `servers` cuts. */
export function rolloutWaveCount(rollout: RolloutSpec, servers: number): number {
  const canary = rollout.canary ?? 0;
  return (canary > 0 ? 1 : 0) + Math.ceil(Math.max(0, servers - canary) / rollout.waveSize);
}

/**
 * Problems of a valid-shaped spec's `rollout:` block against the rest of the
 * spec, as (path, message) pairs; none without a rollout.
 */
export function rolloutErrors(
  spec: SpecView,
  servers: number,
): { path: (string | number)[]; message: string }[] {
  const r = spec.rollout;
  if (!r) {
    return [];
  }
  const out: { path: (string | number)[]; message: string }[] = [];
  const reboot = spec.events.reboot;
  if (!reboot) {
    out.push({
      path: ['rollout'],
      message:
        'a roll-out reboots every server once: give events.reboot with perServer: 1 and its path (kexec or firmware)',
    });
  } else if (reboot.perServer !== 1) {
    out.push({
      path: ['events', 'reboot'],
      message: `a roll-out reboots every server exactly once: events.reboot needs perServer: 1 (got ${
        reboot.perServer !== undefined
          ? `perServer: ${reboot.perServer}`
          : `ratePerServerYear: ${reboot.ratePerServerYear}`
      })`,
    });
  }
  if (r.canary !== undefined && r.canary >= servers) {
    out.push({
      path: ['rollout', 'canary'],
      message: `the canary wave (${r.canary} servers) must be smaller than the fleet (${servers} servers)`,
    });
  }
  const waves = rolloutWaveCount(r, servers);
  if (waves > MAX_ROLLOUT_WAVES) {
    out.push({
      path: ['rollout', 'waveSize'],
      message: `waveSize ${r.waveSize} cuts the fleet of ${servers} servers into ${waves} waves; at most ${MAX_ROLLOUT_WAVES}: raise waveSize to at least ${Math.ceil((servers - (r.canary ?? 0)) / (MAX_ROLLOUT_WAVES - (r.canary ? 1 : 0)))}`,
    });
  }
  return out;
}
