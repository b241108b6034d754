import { describe, expect, it } from 'vitest';
import {
  BUILTIN_CRASH_CAUSES,
  BUILTIN_DEVICES,
  BUILTIN_DRIVERS,
  BUILTIN_PROFILES,
  BUILTIN_STRATEGIES,
} from './catalogue';

/**
 * Every figure of the built-in catalogue has its own source: a citation (a file
 * and function, a document and section) or "assumption: …". Per field, not one
 * note per entry.
 */

/** Dotted paths (array indices dropped) of every number and boolean in an entry. */
function figurePaths(value: unknown, path: string[] = []): string[] {
  if (typeof value === 'number' || typeof value === 'boolean') {
    return [path.join('.')];
  }
  if (value === null || typeof value !== 'object') {
    return [];
  }
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (path.length === 0 && ['source', 'sources', 'description'].includes(k)) {
      continue;
    }
    out.push(...figurePaths(v, Array.isArray(value) ? path : [...path, k]));
  }
  return out;
}

/** The source a figure at `path` takes: its own, or its nearest parent field's. */
function sourceOf(sources: Record<string, string>, path: string): string | undefined {
  const parts = path.split('.');
  for (let i = parts.length; i > 0; i--) {
    const s = sources[parts.slice(0, i).join('.')];
    if (s !== undefined) {
      return s;
    }
  }
  return undefined;
}

/** An assumption says so; anything else names where it comes from. */
const CITATION =
  /^assumption: |[\w-]+\/[\w./-]+\.(c|h|md|sh|txt)\b|[\w-]+\/[\w-]+\/|PCIe Base spec|NVMe Base Specification|seed talk|kdump-tools|kdump-utils|is_kdump_kernel|drivers\/|kernel\/|arch\/|LKML \d{4}|gnif\/vendor-reset|mariux64\/mxtools PR|NVIDIA driver persistence docs|kexec mailing list|makedumpfile|server POST reports/;

const ENTRIES = {
  drivers: BUILTIN_DRIVERS,
  devices: BUILTIN_DEVICES,
  profiles: BUILTIN_PROFILES,
  crashCauses: BUILTIN_CRASH_CAUSES,
};

describe('every built-in figure has its own source', () => {
  for (const [kind, entries] of Object.entries(ENTRIES)) {
    for (const [name, entry] of Object.entries(entries)) {
      it(`${kind}.${name}`, () => {
        const sources = (entry as { sources?: Record<string, string> }).sources ?? {};
        const missing: string[] = [];
        const uncited: string[] = [];
        for (const path of figurePaths(entry)) {
          const s = sourceOf(sources, path);
          if (s === undefined) {
            missing.push(path);
          } else if (!CITATION.test(s)) {
            uncited.push(`${path}: ${s}`);
          }
        }
        expect(missing, `${kind}.${name}: figures without a source`).toEqual([]);
        expect(uncited, `${kind}.${name}: sources that neither cite nor say "assumption:"`).toEqual(
          [],
        );
        // No source names a field the entry does not have.
        const fields = new Set(figurePaths(entry).flatMap((p) => prefixes(p)));
        expect(Object.keys(sources).filter((k) => !fields.has(k) && !hasField(entry, k))).toEqual(
          [],
        );
      });
    }
  }

  it('every built-in strategy says where it comes from', () => {
    for (const [name, s] of Object.entries(BUILTIN_STRATEGIES)) {
      expect(s.source, name).toBeTruthy();
      expect(CITATION.test(s.source!) || /seed talk|commit/.test(s.source!), name).toBe(true);
    }
  });

  it('the check catches a figure without a source', () => {
    const entry = { ...BUILTIN_DRIVERS.i40e!, sources: { ...BUILTIN_DRIVERS.i40e!.sources } };
    delete entry.sources.memoryMiB;
    const paths = figurePaths(entry).filter((p) => sourceOf(entry.sources, p) === undefined);
    expect(paths).toEqual(['memoryMiB']);
    expect(CITATION.test('because I said so')).toBe(false);
  });
});

function prefixes(path: string): string[] {
  const parts = path.split('.');
  return parts.map((_, i) => parts.slice(0, i + 1).join('.'));
}

/** Whether `entry` has a field at dotted `path` (null-valued fields count: an absent reset). */
function hasField(entry: unknown, path: string): boolean {
  let v: unknown = entry;
  for (const part of path.split('.')) {
    if (Array.isArray(v)) {
      v = v[0];
    }
    if (v === null || typeof v !== 'object' || !(part in v)) {
      return false;
    }
    v = (v as Record<string, unknown>)[part];
  }
  return true;
}

describe('citations a user can follow', () => {
  it('never send a user to DOMAIN.md (a project-internal note): each names its primary source', () => {
    const all = JSON.stringify([
      BUILTIN_DRIVERS,
      BUILTIN_DEVICES,
      BUILTIN_PROFILES,
      BUILTIN_CRASH_CAUSES,
      BUILTIN_STRATEGIES,
    ]);
    expect(all).not.toMatch(/DOMAIN/);
  });
});
