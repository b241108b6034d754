import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  BUILTIN_CRASH_CAUSES,
  BUILTIN_DEVICES,
  BUILTIN_DRIVERS,
  BUILTIN_PROFILES,
  BUILTIN_STRATEGIES,
  parseSpecOrThrow,
  SPEC_SOURCE,
  runExperiment,
  type Report,
} from '../../../libs/kdump-core/src';
import {
  catalogueDocument,
  catalogueNames,
  renderCatalogue,
  selectCatalogue,
  type CatalogueDocument,
} from './catalogue-format';

/** A spec without catalogue or strategies: they come from what `fleetsim catalogue` printed. */
const HEAD = `name: pasted
seed: 3
fleet:
  - profile: PROFILE
    count: 400
events:
  crash:
    perServer: 1
    causes: { panic: 0.6, machine-check: 0.4 }
`;

function yamlOf(names: string[], resolved = catalogueDocument(null)): string {
  const selected = selectCatalogue(resolved, names);
  if (!selected.ok) {
    throw new Error(`unknown ${selected.unknown.join(', ')}`);
  }
  return renderCatalogue(selected.document, 'yaml', 'The built-in catalogue');
}

function report(text: string): Report {
  return runExperiment(parseSpecOrThrow(text)).report;
}

describe('the catalogue in spec syntax', () => {
  const all = renderCatalogue(catalogueDocument(null), 'yaml', 'The built-in catalogue');

  it('holds every built-in entry with every field, as the core defines it', () => {
    const doc = parse(all) as CatalogueDocument;
    expect(doc.catalogue).toEqual({
      drivers: BUILTIN_DRIVERS,
      devices: BUILTIN_DEVICES,
      profiles: BUILTIN_PROFILES,
      crashCauses: BUILTIN_CRASH_CAUSES,
    });
    expect(doc.strategies).toEqual(
      Object.entries(BUILTIN_STRATEGIES).map(([name, def]) => ({ name, ...def })),
    );
    const json = renderCatalogue(catalogueDocument(null), 'json', 'The built-in catalogue');
    expect(JSON.parse(json)).toEqual(doc);
  });

  it('opens with a comment header on the semantics, and uses no anchors', () => {
    const header = all.slice(0, all.indexOf('\ncatalogue:'));
    expect(header.split('\n').every((l) => l.startsWith('#'))).toBe(true);
    expect(header).toMatch(/^# The built-in catalogue, in spec syntax\./);
    for (const words of [
      /quiescent\s+#? *takes the rest/,
      /must add up to 1/,
      /replace whole/,
      /extends: NAME/,
      /\.\.\.Ms milliseconds, \.\.\.MiB and \.\.\.GiB/,
      /"assumption: \.\.\."/,
    ]) {
      expect(header).toMatch(words);
    }
    // An entry copied alone must not refer to an &anchor elsewhere.
    expect(all).not.toMatch(/[&*]a\d+\b/);
  });

  it('runs the same when pasted as-is into a spec', () => {
    const strategies = ['none', 'blacklist', 'whitelist', 'device-reset', 'fallback'];
    const builtin = `${HEAD.replace('PROFILE', 'gpu-node')}strategies: [${strategies.join(', ')}]\n`;
    // The whole printed catalogue, plus those strategies' printed definitions.
    const pasted =
      HEAD.replace('PROFILE', 'gpu-node') +
      all.slice(all.indexOf('\ncatalogue:') + 1, all.indexOf('\nstrategies:') + 1) +
      yamlOf(strategies).slice(yamlOf(strategies).indexOf('\nstrategies:') + 1);
    expect(report(pasted)).toEqual(report(builtin));
  });

  it('runs the same when a profile, its device model and driver are pasted under new names', () => {
    const printed = yamlOf(['gpu-node', 'gpu', 'nvidia', 'none', 'blacklist', 'device-reset']);
    const renamed = printed
      .replace(/^ {4}gpu-node:$/m, '    my-gpu-node:')
      .replace(/^ {4}gpu:$/m, '    my-gpu:')
      .replace(/^ {4}nvidia:$/m, '    my-nvidia:')
      .replace(/model: gpu \}/g, 'model: my-gpu }')
      .replace(/^ {6}driver: nvidia$/m, '      driver: my-nvidia');
    expect(renamed.match(/my-/g)).toHaveLength(3 + 4 + 1);
    const original = report(HEAD.replace('PROFILE', 'gpu-node') + printed);
    const copy = report(HEAD.replace('PROFILE', 'my-gpu-node') + renamed);
    // The same numbers; only the new names differ (culprits and what failures rest on name them).
    const unrenamed = JSON.parse(
      JSON.stringify({ ...copy, experiment: null }).replace(/my-(gpu-node|gpu|nvidia)\b/g, '$1'),
    ) as unknown;
    expect(unrenamed).toEqual({ ...original, experiment: null });
    expect(copy.experiment.fleet).toEqual([{ profile: 'my-gpu-node', count: 400 }]);
    // The pasted entries are the ones that ran: change one figure and the results change.
    const unloaded = report(
      HEAD.replace('PROFILE', 'my-gpu-node') +
        renamed.replace('captureKernelLoaded: 0.995', 'captureKernelLoaded: 0'),
    );
    expect(JSON.stringify(unloaded.crash)).not.toBe(JSON.stringify(copy.crash));
  });

  it("prints a spec's catalogue with its overrides, and its own strategies first", () => {
    const spec = parseSpecOrThrow(
      `${HEAD.replace('PROFILE', 'big-gpu')}strategies:
  - none
  - name: restore-then-flr
    extends: config-restore
    resets: [config-restore, device-reset]
catalogue:
  drivers:
    nvidia: { memoryMiB: 999 }
  profiles:
    big-gpu: { extends: gpu-node, ramGiB: 2048 }
`,
    );
    const doc = catalogueDocument(spec);
    // The figures the spec set carry the spec as their source.
    expect(doc.catalogue.drivers!.nvidia).toEqual({
      ...BUILTIN_DRIVERS.nvidia,
      memoryMiB: 999,
      sources: { ...BUILTIN_DRIVERS.nvidia!.sources, memoryMiB: SPEC_SOURCE },
    });
    expect(doc.catalogue.profiles!['big-gpu']).toEqual({
      ...BUILTIN_PROFILES['gpu-node'],
      ramGiB: 2048,
      sources: { ...BUILTIN_PROFILES['gpu-node']!.sources, ramGiB: SPEC_SOURCE },
    });
    expect(doc.strategies.slice(0, 2)).toEqual([
      { name: 'none', ...BUILTIN_STRATEGIES.none },
      expect.objectContaining({ name: 'restore-then-flr' }),
    ]);
    expect(doc.strategies[1]).toMatchObject({
      description: BUILTIN_STRATEGIES['config-restore']!.description,
      resets: ['config-restore', 'device-specific', 'flr', 'pm'],
    });
    expect(doc.strategies[1]).not.toHaveProperty('blacklist');
    // Every built-in strategy is still there, once.
    const names = doc.strategies.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(Object.keys(BUILTIN_STRATEGIES)));
    // Printed and pasted back, the spec's overrides resolve to the same entries.
    const again = parseSpecOrThrow(
      HEAD.replace('PROFILE', 'big-gpu') +
        renderCatalogue(doc, 'yaml', 'x').replace(/^strategies:[\s\S]*$/m, 'strategies: [none]\n'),
    );
    expect(again.profiles['big-gpu']).toEqual(spec.profiles['big-gpu']);
    expect(again.drivers.nvidia).toEqual(spec.drivers.nvidia);
  });

  it('keeps only the entries named, of any kind, and says which names it does not know', () => {
    const doc = catalogueDocument(null);
    const selected = selectCatalogue(doc, ['nvme', 'panic', 'fallback']);
    expect(selected).toEqual({
      ok: true,
      document: {
        catalogue: {
          drivers: { nvme: BUILTIN_DRIVERS.nvme },
          crashCauses: { panic: BUILTIN_CRASH_CAUSES.panic },
        },
        strategies: [{ name: 'fallback', ...BUILTIN_STRATEGIES.fallback }],
      },
    });
    expect(selectCatalogue(doc, ['gpu-node', 'gpu-nod', 'x'])).toEqual({
      ok: false,
      unknown: ['gpu-nod', 'x'],
      known: catalogueNames(doc),
    });
    expect(catalogueNames(doc)).toEqual(
      expect.arrayContaining(['mlx5_core', 'nic-100g', 'gpu-node', 'hard-lockup', 'bus-reset']),
    );
    expect(yamlOf(['panic'])).not.toMatch(/^strategies:/m);
    expect(yamlOf(['none'])).not.toMatch(/^catalogue:/m);
  });
});
