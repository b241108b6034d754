/**
 * What a report's failures rest on: for each failure reason (and culprit device)
 * that happened, the catalogue figures that decide it, each with its own source
 * (a citation, "assumption: …", or the spec itself). So a reader sees from the
 * report alone whether a headline number stands on a published figure or on a
 * guess they can change.
 */
import { Reason } from './outcome';
import type { ResolvedSpec } from './spec';
import { SPEC_SOURCE } from './spec';
import type { BasisFieldSchema } from './report-schema';
import type { z } from 'zod';

type BasisField = z.infer<typeof BasisFieldSchema>;

/** Where a culprit device sits: its profile, model and driver. */
export interface CulpritPlace {
  profile: string;
  model: string;
  driver: string;
}

type Entry = { sources?: Record<string, string>; source: string };

/** The source of field `field` (dotted) of an entry: its own, its parent's, or the entry's. */
function sourceOf(entry: Entry, field: string): string {
  const parts = field.split('.');
  for (let i = parts.length; i > 0; i--) {
    const s = entry.sources?.[parts.slice(0, i).join('.')];
    if (s !== undefined) {
      return s;
    }
  }
  return entry.source;
}

function valueAt(entry: unknown, field: string): unknown {
  let v = entry;
  for (const part of field.split('.')) {
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  }
  return v;
}

function field(kind: string, name: string, entry: Entry, path: string): BasisField {
  const source = sourceOf(entry, path);
  const value = valueAt(entry, path);
  return {
    path: `${kind}.${name}.${path}`,
    value: value === undefined ? 'default' : JSON.stringify(value),
    // A figure that is in any part an assumption rests on an assumption.
    basis: source === SPEC_SOURCE ? 'spec' : /assumption/i.test(source) ? 'assumption' : 'source',
    source,
  };
}

/**
 * The catalogue fields a failure of `reason` rests on.
 * @param culprit where the culprit device sits, for the reasons that name one
 * @param profiles the fleet's profiles (for reasons without a culprit)
 * @param causes the crash causes in use
 */
export function basisFields(
  resolved: ResolvedSpec,
  reason: number,
  culprit: CulpritPlace | null,
  profiles: readonly string[],
  causes: readonly string[],
): BasisField[] {
  const out: BasisField[] = [];
  const drv = (name: string, ...paths: string[]) =>
    paths.forEach((p) => out.push(field('drivers', name, resolved.drivers[name]!, p)));
  const dev = (name: string, ...paths: string[]) =>
    paths.forEach((p) => out.push(field('devices', name, resolved.devices[name]!, p)));
  const prof = (name: string, ...paths: string[]) =>
    paths.forEach((p) => out.push(field('profiles', name, resolved.profiles[name]!, p)));
  const cause = (...paths: string[]) =>
    causes.forEach((c) =>
      paths.forEach((p) => out.push(field('crashCauses', c, resolved.crashCauses[c]!, p))),
    );
  const eachProfile = (...paths: string[]) => profiles.forEach((p) => prof(p, ...paths));
  const c = culprit;
  switch (reason) {
    case Reason.HangUndetected:
      cause('undetectedHang');
      eachProfile('kdump.hangWatchdogMs');
      break;
    case Reason.CaptureKernelNotLoaded:
      eachProfile('kdump.captureKernelLoaded', 'crashkernelMiB', 'kdump.loadedSegmentsMiB');
      break;
    case Reason.StaleCpu:
      cause('staleCpu');
      eachProfile('kdump.staleCpuBreaksCapture');
      break;
    case Reason.PurgatoryDigestMismatch:
      eachProfile('kdump.purgatoryDigestMismatch');
      break;
    case Reason.StaleKexecParameters:
      eachProfile('kdump.staleKexecParameters');
      break;
    case Reason.BackupRegionLost:
      eachProfile('kdump.backupRegionKiB', 'kdump.backupRegionLost');
      break;
    case Reason.DmarFault:
      if (c) {
        dev(c.model, 'postCrashState', 'behindIommu', 'dmarFaultFatal');
      }
      break;
    case Reason.InterruptStorm:
      if (c) {
        dev(c.model, 'postCrashState', 'interruptStormHangs');
      }
      break;
    case Reason.CaptureKernelOom:
      if (c) {
        drv(c.driver, 'memoryMiB', 'minimalMemoryMiB', 'kdumpAware');
        prof(c.profile, 'crashkernelMiB', 'kdump.captureKernelBaseMiB', 'kdump.perCpuMiB');
      }
      break;
    case Reason.CaptureKernelPanic:
    case Reason.CaptureKernelOops:
    case Reason.DumpTargetMissing:
      if (c) {
        dev(c.model, 'postCrashState');
        drv(c.driver, 'onUnexpectedState', 'hardenedReaction', 'probeTimeoutMs');
      }
      break;
    case Reason.KexecBootPanic:
      if (c) {
        dev(c.model, 'postCrashState');
        drv(c.driver, 'shutdownFailsToQuiesce', 'onUnexpectedState');
      }
      break;
    case Reason.DeviceMissing:
      for (const name of new Set(profiles.flatMap((p) => driversOf(resolved, p)))) {
        drv(name, 'shutdownFailsToQuiesce', 'onUnexpectedState');
      }
      break;
    default:
      break;
  }
  return out;
}

function driversOf(resolved: ResolvedSpec, profile: string): string[] {
  return resolved.profiles[profile]!.buses.flatMap((b) =>
    b.devices.map((d) => resolved.devices[d.model]!.driver),
  );
}
