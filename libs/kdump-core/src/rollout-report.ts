/**
 * The roll-out's report section: per strategy, which waves ran, when, how many
 * servers each left out of service, whether and why the roll-out halted, its
 * wall-clock time, and the time saved against rebooting the same waves through
 * firmware. A pure function of the merged tally, so it is the same however the
 * fleet was sharded.
 *
 * The clock of one strategy's roll-out (all times from its start):
 * - wave w starts at `start(w)`; `start(0) = 0`;
 * - its reboot phase lasts the wave's longest time back in service (every server
 *   reboots at once; a server whose kexec'd kernel died counts until it is back
 *   through firmware), so the wave is back at `back(w) = start(w) + longest(w)`;
 * - the halt condition is checked at `back(w)`: every server's fate is known then.
 *   When the share of the wave's servers not back in service exceeds the limit,
 *   the roll-out halts at `back(w)` and no later wave starts;
 * - otherwise the wave soaks until `soakEnd(w) = back(w) + soak`, and the next
 *   wave starts at `start(w + 1) = max(start(w) + interval, soakEnd(w))`: the
 *   interval is the cadence, the soak a floor on the quiet time between waves;
 * - a roll-out that did not halt ends at the last wave's `soakEnd`.
 * The firmware comparison runs the same clock over the same waves (up to the
 * halting wave, ending at its `back`), with each wave's longest firmware reboot.
 */
import { z } from 'zod';
import {
  strategySlot,
  waveServers,
  waveStride,
  WaveSlot,
  type RolloutPlan,
  type RolloutTally,
} from './rollout-waves';

const seconds = z.number().describe('simulated seconds');

const WaveRunSchema = z.strictObject({
  wave: z.number().int().min(0).describe('0 is the canary wave when there is one'),
  servers: z.number().int().min(1),
  notBack: z.number().int().min(0).describe('servers not back in service after their reboot'),
  notBackShare: z.number().min(0).max(1),
  longestBackSeconds: seconds.describe("the wave's longest time back in service: its reboot phase"),
  startSeconds: seconds,
  backSeconds: seconds.describe('when every server of the wave was back (or known not to be)'),
  soakEndSeconds: seconds.nullable().describe('end of the soak; null for the wave that halted'),
});

const RolloutStrategySchema = z.strictObject({
  strategy: z.string(),
  halted: z.boolean(),
  haltedAtWave: z.number().int().nullable(),
  haltedAtSeconds: seconds.nullable(),
  haltReason: z.string().nullable(),
  wavesRun: z.number().int().min(0),
  serversRebooted: z.number().int().min(0),
  notBack: z.number().int().min(0),
  serversNotRebooted: z.number().int().min(0).describe('servers of the waves a halt kept back'),
  wallClockSeconds: seconds.describe('from the first wave until done (last soak) or halted'),
  firmwareWallClockSeconds: seconds.describe(
    'the same waves rebooted through firmware, on the same clock',
  ),
  timeSavedSeconds: seconds.describe('firmwareWallClockSeconds minus wallClockSeconds'),
  waves: z.array(WaveRunSchema).describe('the waves that ran, in order'),
});

export const RolloutReportSchema = z
  .strictObject({
    path: z.enum(['kexec', 'firmware']),
    servers: z.number().int(),
    waves: z.number().int(),
    canary: z.number().int().nullable().describe('servers of the canary wave, or null'),
    waveSize: z.number().int(),
    intervalSeconds: seconds,
    soakSeconds: seconds,
    haltWhenNotBackShareAbove: z.number().nullable(),
    waveServers: z.array(z.number().int()).describe('servers of each wave, in order'),
    firmwareLongestSeconds: z
      .array(seconds)
      .describe("each wave's longest firmware reboot of the same servers"),
    firmwareWallClockSeconds: seconds.describe('the whole roll-out through firmware'),
    strategies: z.array(RolloutStrategySchema),
  })
  .describe(
    'the planned reboots in waves (spec rollout): per strategy the waves run, servers not back, halt, wall-clock time and time saved against firmware reboots',
  );

export type RolloutReport = z.infer<typeof RolloutReportSchema>;
export type RolloutStrategyResult = z.infer<typeof RolloutStrategySchema>;
export type RolloutWaveRun = z.infer<typeof WaveRunSchema>;

const sec = (us: number): number => Math.round(us) / 1e6;

/** Formats a share as the report's halt reasons do: 2.05%. */
function percent(share: number): string {
  return `${Number((share * 100).toFixed(2))}%`;
}

/** When the waves `0..last` of longest times `longestUs(w)` start, come back and end soaking. */
function clock(
  plan: RolloutPlan,
  waves: number,
  longestUs: (w: number) => number,
): { start: number[]; back: number[]; soakEnd: number[] } {
  const start: number[] = [];
  const back: number[] = [];
  const soakEnd: number[] = [];
  let t = 0;
  for (let w = 0; w < waves; w++) {
    start.push(t);
    back.push(t + longestUs(w));
    soakEnd.push(back[w]! + plan.soakUs);
    t = Math.max(t + plan.intervalUs, soakEnd[w]!);
  }
  return { start, back, soakEnd };
}

/** The report section of a merged tally. */
export function rolloutReport(
  plan: RolloutPlan,
  tally: RolloutTally,
  strategies: readonly string[],
  path: 'kexec' | 'firmware',
): RolloutReport {
  if (tally.waves !== plan.waves || tally.strategies !== strategies.length) {
    throw new RangeError(
      `roll-out tally of ${tally.waves} waves × ${tally.strategies} strategies, the plan has ${plan.waves} × ${strategies.length}`,
    );
  }
  const stride = waveStride(tally.strategies);
  const servers = (w: number) => tally.slots[w * stride + WaveSlot.Servers]!;
  for (let w = 0; w < plan.waves; w++) {
    const { start, end } = waveServers(plan, w);
    if (servers(w) !== end - start) {
      throw new RangeError(
        `roll-out wave ${w} tallied ${servers(w)} servers, it has ${end - start}: a shard is missing or merged twice`,
      );
    }
  }
  const firmwareUs = (w: number) => tally.slots[w * stride + WaveSlot.FirmwareLongestUs]!;
  const firmware = clock(plan, plan.waves, firmwareUs);
  const firmwareWhole = firmware.soakEnd[plan.waves - 1] ?? 0;
  return {
    path,
    servers: plan.servers,
    waves: plan.waves,
    canary: plan.canary > 0 ? plan.canary : null,
    waveSize: plan.waveSize,
    intervalSeconds: sec(plan.intervalUs),
    soakSeconds: sec(plan.soakUs),
    haltWhenNotBackShareAbove: plan.haltShare,
    waveServers: Array.from({ length: plan.waves }, (_, w) => servers(w)),
    firmwareLongestSeconds: Array.from({ length: plan.waves }, (_, w) => sec(firmwareUs(w))),
    firmwareWallClockSeconds: sec(firmwareWhole),
    strategies: strategies.map((name, s) => {
      const notBack = (w: number) => tally.slots[strategySlot(tally, w, s)]!;
      const longest = (w: number) => tally.slots[strategySlot(tally, w, s) + 1]!;
      // Which wave trips the halt condition, if any.
      let halt = -1;
      if (plan.haltShare !== null) {
        for (let w = 0; w < plan.waves && halt < 0; w++) {
          if (notBack(w) / servers(w) > plan.haltShare) {
            halt = w;
          }
        }
      }
      const ran = halt >= 0 ? halt + 1 : plan.waves;
      const c = clock(plan, ran, longest);
      const endUs = halt >= 0 ? c.back[halt]! : c.soakEnd[ran - 1]!;
      const firmwareEndUs = halt >= 0 ? firmware.back[halt]! : firmwareWhole;
      const waves: RolloutWaveRun[] = [];
      let rebooted = 0;
      let notBackTotal = 0;
      for (let w = 0; w < ran; w++) {
        rebooted += servers(w);
        notBackTotal += notBack(w);
        waves.push({
          wave: w,
          servers: servers(w),
          notBack: notBack(w),
          notBackShare: notBack(w) / servers(w),
          longestBackSeconds: sec(longest(w)),
          startSeconds: sec(c.start[w]!),
          backSeconds: sec(c.back[w]!),
          soakEndSeconds: w === halt ? null : sec(c.soakEnd[w]!),
        });
      }
      return {
        strategy: name,
        halted: halt >= 0,
        haltedAtWave: halt >= 0 ? halt : null,
        haltedAtSeconds: halt >= 0 ? sec(endUs) : null,
        haltReason:
          halt >= 0
            ? `wave ${halt}: ${notBack(halt)} of ${servers(halt)} servers not back in service (${percent(notBack(halt) / servers(halt))}), above the limit of ${percent(plan.haltShare!)}`
            : null,
        wavesRun: ran,
        serversRebooted: rebooted,
        notBack: notBackTotal,
        serversNotRebooted: plan.servers - rebooted,
        wallClockSeconds: sec(endUs),
        firmwareWallClockSeconds: sec(firmwareEndUs),
        timeSavedSeconds: sec(firmwareEndUs - endUs),
        waves,
      };
    }),
  };
}
