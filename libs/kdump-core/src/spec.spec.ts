import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BUILTIN_DEVICES, BUILTIN_DRIVERS, BUILTIN_STRATEGIES } from './catalogue';
import {
  formatPath,
  parseSpecOrThrow,
  parseSpecText,
  SPEC_SOURCE,
  SpecValidationError,
  validateSpec,
  type SpecError,
  type SpecResult,
} from './spec';
import { specJsonSchema } from './spec-schema';

const EXAMPLES = path.resolve(__dirname, '../../../examples');

/** A minimal valid spec; tests append or replace lines. */
const MINIMAL = `name: minimal
seed: 1
fleet:
  - profile: compute-2s
    count: 5
events:
  crash: { perServer: 1, causes: { panic: 1 } }
strategies: [none]
`;

function errorsOf(r: SpecResult): SpecError[] {
  if (r.ok) {
    throw new Error('expected the spec to be rejected');
  }
  return r.errors;
}

function find(errors: SpecError[], p: string): SpecError {
  const e = errors.find((x) => x.path === p);
  if (!e) {
    throw new Error(`no error at ${p}; got ${JSON.stringify(errors, null, 2)}`);
  }
  return e;
}

/** 1-based line of the first line of `text` containing `needle`. */
function lineOf(text: string, needle: string, from = 1): number {
  const lines = text.split('\n');
  for (let i = from - 1; i < lines.length; i++) {
    if (lines[i]!.includes(needle)) {
      return i + 1;
    }
  }
  throw new Error(`"${needle}" not in the text`);
}

describe('examples', () => {
  const files = readdirSync(EXAMPLES).filter((f) => /\.(ya?ml|json)$/.test(f));

  it('has examples to check', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)('%s parses and resolves without errors', (file) => {
    const text = readFileSync(path.join(EXAMPLES, file), 'utf8');
    const r = parseSpecText(text);
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (r.ok) {
      expect(r.resolved.servers).toBe(r.resolved.spec.fleet.reduce((n, f) => n + f.count, 0));
      expect(r.resolved.strategies.map((s) => s.name)).toEqual(
        r.resolved.spec.strategies.map((s) => (typeof s === 'string' ? s : s.name)),
      );
    }
  });
});

describe('error reporting', () => {
  // Semantic errors, each on its own line.
  const SEMANTIC = `name: multi
seed: 1
fleet:
  - profile: compute-2s
    count: 5
  - profile: no-such-profile
    count: 10
events:
  crash:
    perServer: 1
    causes: { panic: 1 }
strategies:
  - none
  - no-such-strategy
catalogue:
  devices:
    slow-nic:
      extends: nic-25g
      initMs: { kind: lognormal, medianMs: 100, p95Ms: 50 }
    odd-nic:
      extends: nic-25g
      driver: no-such-driver
`;

  it('words errors for a spec author, sorted by line, with a did-you-mean', () => {
    const text = `name: bad
seed: 1
strategies:
  - name: mine
    whitelist: yes
  - whitelst
fleet:
  - profile: compute-2s
events:
  crash: { perServer: 1, causes: { panic: 1 } }
`;
    const errors = errorsOf(parseSpecText(text));
    expect(errors.map((e) => [e.line, e.path, e.message])).toEqual([
      [
        lineOf(text, 'whitelist: yes'),
        'strategies[0].whitelist',
        'whitelist is "dump-target" or a list of driver names, e.g. whitelist: [nvme, i40e]',
      ],
      [
        lineOf(text, '- whitelst'),
        'strategies[1]',
        expect.stringMatching(/^unknown strategy "whitelst" \(did you mean "whitelist"\?\)/),
      ],
      [
        lineOf(text, '- profile: compute-2s'),
        'fleet[0].count',
        'missing required field `count` (number)',
      ],
    ]);
  });

  it('takes a baseline that names one of the strategies, and refuses any other', () => {
    const ok = parseSpecText(
      `${MINIMAL.replace('[none]', '[none, whitelist]')}baseline: whitelist\n`,
    );
    expect(ok.ok).toBe(true);
    const text = `${MINIMAL}baseline: whitelist\n`;
    const error = find(errorsOf(parseSpecText(text)), 'baseline');
    expect(error.line).toBe(lineOf(text, 'baseline: whitelist'));
    expect(error.message).toBe(`baseline "whitelist" is not one of the spec's strategies (none)`);
  });

  it('reports every reference and distribution error, each with its path and line', () => {
    const errors = errorsOf(parseSpecText(SEMANTIC));
    expect(errors).toHaveLength(4);

    const profile = find(errors, 'fleet[1].profile');
    expect(profile.line).toBe(lineOf(SEMANTIC, 'no-such-profile'));
    expect(profile.message).toMatch(/unknown profile "no-such-profile"/);
    expect(profile.message).toMatch(/compute-2s/); // lists the known ones

    const strategy = find(errors, 'strategies[1]');
    expect(strategy.line).toBe(lineOf(SEMANTIC, '- no-such-strategy'));
    expect(strategy.message).toMatch(/unknown strategy "no-such-strategy"/);

    const dist = find(errors, 'catalogue.devices.slow-nic.initMs');
    expect(dist.line).toBe(lineOf(SEMANTIC, 'initMs:'));
    expect(dist.message).toMatch(/p95Ms 50 is below medianMs 100/);

    const driver = find(errors, 'catalogue.devices.odd-nic.driver');
    expect(driver.line).toBe(lineOf(SEMANTIC, 'driver: no-such-driver'));
    expect(driver.message).toMatch(/unknown driver "no-such-driver"/);
  });

  it('reports every schema error, each with its path and line', () => {
    const text = `name: multi
seed: 1
colour: blue
fleet:
  - profile: compute-2s
    count: -5
events:
  crash: { perServer: 1, causes: { panic: 1 } }
strategies: [none]
`;
    const errors = errorsOf(parseSpecText(text));
    expect(errors).toHaveLength(2);
    const count = find(errors, 'fleet[0].count');
    expect(count.line).toBe(6);
    expect(count.message).toMatch(/1/);
    const unknown = find(errors, 'colour');
    expect(unknown.line).toBe(3);
    expect(unknown.message).toBe('unknown field "colour"');
  });

  it('reports schema and reference errors together, every one with its path and line', () => {
    // The spec a user writes on a bad day: two schema errors and four reference /
    // distribution errors. Every one should come back from a single parse, as
    // parseSpecOrThrow promises ("with every error"), so the user fixes them in one go.
    const text = `name: multi
seed: 1
colour: blue
fleet:
  - profile: compute-2s
    count: -5
  - profile: no-such-profile
    count: 10
events:
  crash:
    perServer: 1
    causes: { panic: 1 }
strategies:
  - none
  - no-such-strategy
catalogue:
  devices:
    slow-nic:
      extends: nic-25g
      initMs: { kind: lognormal, medianMs: 100, p95Ms: 50 }
    odd-nic:
      extends: nic-25g
      driver: no-such-driver
`;
    const errors = errorsOf(parseSpecText(text));
    const expected: [string, number][] = [
      ['colour', 3],
      ['fleet[0].count', 6],
      ['fleet[1].profile', 7],
      ['strategies[1]', 15],
      ['catalogue.devices.slow-nic.initMs', 20],
      ['catalogue.devices.odd-nic.driver', 23],
    ];
    expect(
      errors.map((e) => [e.path, e.line]).sort((a, b) => (a[1] as number) - (b[1] as number)),
    ).toEqual(expected);
  });

  it('reports lines for JSON input', () => {
    const json = JSON.stringify(
      {
        name: 'j',
        seed: 3,
        fleet: [{ profile: 'compute-2s', count: 4 }],
        events: { crash: { perServer: 1, causes: { panic: 1 } } },
        strategies: ['none', 'bogus'],
      },
      null,
      2,
    );
    const errors = errorsOf(parseSpecText(json));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('strategies[1]');
    expect(errors[0]!.line).toBe(lineOf(json, '"bogus"'));

    const badCount = json.replace('"count": 4', '"count": 0');
    const e2 = errorsOf(parseSpecText(badCount));
    expect(find(e2, 'fleet[0].count').line).toBe(lineOf(badCount, '"count": 0'));
  });

  it('accepts valid JSON input', () => {
    const json = JSON.stringify({
      name: 'j',
      seed: 3,
      fleet: [{ profile: 'gpu-node', count: 2 }],
      events: { reboot: { perServer: 2, path: 'kexec' } },
      strategies: ['none', 'fallback'],
    });
    const r = parseSpecOrThrow(json);
    expect(r.servers).toBe(2);
    expect(r.spec.events.reboot?.path).toBe('kexec');
  });

  it('reports a YAML syntax error with its line', () => {
    // The second `name` on line 3 is a duplicate key.
    const errors = errorsOf(parseSpecText('name: x\nseed: 1\nname: y\n'));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('');
    expect(errors[0]!.message).toMatch(/unique/i);
    expect(errors[0]!.line).toBe(3);

    // An unclosed flow sequence, noticed where the next key starts (line 4).
    const unclosed = errorsOf(parseSpecText('name: x\nseed: 1\nfleet: [a, b\nevents: {}\n'));
    expect(unclosed[0]!.line).toBe(4);
  });

  it('gives no lines when validating an object rather than text', () => {
    const errors = errorsOf(
      validateSpec({
        name: 'o',
        seed: 1,
        fleet: [{ profile: 'nope', count: 1 }],
        events: { crash: { perServer: 1, causes: { panic: 1 } } },
        strategies: ['none'],
      }),
    );
    expect(errors).toEqual([
      expect.objectContaining({ path: 'fleet[0].profile', line: undefined }),
    ]);
  });

  it('rejects a spec without events', () => {
    const text = MINIMAL.replace(/events:\n.*\n/, 'events: {}\n');
    const errors = errorsOf(parseSpecText(text));
    expect(find(errors, 'events').message).toMatch(/crash events, reboot events, or both/);
  });

  it('rejects a crash count given both ways, or a rate without a horizon', () => {
    const both = MINIMAL.replace(
      'crash: { perServer: 1, causes: { panic: 1 } }',
      'crash: { perServer: 1, ratePerServerYear: 2, horizonDays: 30, causes: { panic: 1 } }',
    );
    expect(find(errorsOf(parseSpecText(both)), 'events.crash').message).toMatch(/either/);
    const noHorizon = MINIMAL.replace(
      'crash: { perServer: 1, causes: { panic: 1 } }',
      'crash: { ratePerServerYear: 2, causes: { panic: 1 } }',
    );
    expect(find(errorsOf(parseSpecText(noHorizon)), 'events.crash.horizonDays').line).toBe(7);
  });

  it('rejects unknown crash causes and a strategy listed twice', () => {
    const text = MINIMAL.replace(
      'causes: { panic: 1 }',
      'causes: { panic: 1, gremlins: 2 }',
    ).replace('strategies: [none]', 'strategies: [none, none]');
    const errors = errorsOf(parseSpecText(text));
    expect(find(errors, 'events.crash.causes.gremlins').message).toMatch(/unknown crash cause/);
    expect(find(errors, 'strategies[1]').message).toMatch(/listed twice/);
  });
});

describe('overrides', () => {
  it('{ seed } replaces the seed', () => {
    expect(parseSpecOrThrow(MINIMAL).spec.seed).toBe(1);
    expect(parseSpecOrThrow(MINIMAL, { seed: 987654321 }).spec.seed).toBe(987654321);
    expect(parseSpecOrThrow(MINIMAL, {}).spec.seed).toBe(1);
  });

  it('an invalid seed override is reported on the seed', () => {
    const errors = errorsOf(parseSpecText(MINIMAL, { seed: -1 }));
    expect(find(errors, 'seed').line).toBe(2);
  });
});

describe('extends', () => {
  const text = `name: ext
seed: 1
fleet:
  - profile: compute-no-flr
    count: 5
events:
  crash: { perServer: 1, causes: { panic: 1 } }
strategies:
  - none
  - device-reset
  - name: harder-fallback
    extends: fallback
    hardening: true
catalogue:
  devices:
    nic-25g-noflr:
      extends: nic-25g
      flr: null
  profiles:
    compute-no-flr:
      extends: compute-2s
      buses:
        - name: root-bus
          secondaryBusReset: false
          busResetMs: { kind: constant, ms: 0 }
          devices: [{ name: nvme0, model: nvme-ssd }]
        - name: pcie-port-1
          secondaryBusReset: true
          busResetMs: { kind: constant, ms: 100 }
          devices: [{ name: eth0, model: nic-25g-noflr }]
`;

  it('a catalogue entry extending another inherits every field it does not set', () => {
    const r = parseSpecOrThrow(text);
    const dev = r.devices['nic-25g-noflr']!;
    const parent = BUILTIN_DEVICES['nic-25g']!;
    expect(dev.flr).toBeNull();
    expect(parent.flr).not.toBeNull(); // the built-in is untouched
    expect({ ...dev, flr: parent.flr, sources: parent.sources }).toEqual(parent);
    // The figure the spec replaced no longer carries the built-in's citation.
    expect(dev.sources!.flr).toBe(SPEC_SOURCE);
    expect(dev.sources!['flr.clears']).toBeUndefined();
    expect(dev.sources!.initMs).toBe(parent.sources!.initMs);

    const profile = r.profiles['compute-no-flr']!;
    expect(profile.buses.map((b) => b.name)).toEqual(['root-bus', 'pcie-port-1']);
    expect(profile.ramGiB).toBe(256);
    expect(profile.dumpTarget).toBe('nvme0');
  });

  it('a strategy extending another inherits its settings', () => {
    const r = parseSpecOrThrow(text);
    const harder = r.strategies.find((s) => s.name === 'harder-fallback')!;
    expect(harder.hardening).toBe(true);
    expect(harder.resets).toEqual(['config-restore', 'flr', 'bus-reset']);
    expect(harder.description).toBe('config-restore, then FLR, then bus reset');
    // device-reset expands to its three steps.
    expect(r.strategies.find((s) => s.name === 'device-reset')!.resets).toEqual([
      'device-specific',
      'flr',
      'pm',
    ]);
    expect(r.strategies.map((s) => s.name)).toEqual(['none', 'device-reset', 'harder-fallback']);
  });

  it('extends of an unknown entry or strategy is an error on the extends line', () => {
    const bad = text
      .replace('extends: nic-25g', 'extends: nic-999g')
      .replace('extends: fallback', 'extends: nothing-like-it');
    const errors = errorsOf(parseSpecText(bad));
    const dev = find(errors, 'catalogue.devices.nic-25g-noflr.extends');
    expect(dev.line).toBe(lineOf(bad, 'extends: nic-999g'));
    expect(dev.message).toMatch(/unknown devices "nic-999g"/);
    const strat = find(errors, 'strategies[2].extends');
    expect(strat.line).toBe(lineOf(bad, 'extends: nothing-like-it'));
  });

  it('a new entry without extends and with missing fields gets the "needs every field" hint', () => {
    const bad = `${MINIMAL}catalogue:
  devices:
    brand-new:
      class: nic-x
      driver: i40e
`;
    const errors = errorsOf(parseSpecText(bad));
    const missing = find(errors, 'catalogue.devices.brand-new.initMs');
    expect(missing.message).toMatch(/needs every field, or "extends"/);
    // Points into the entry.
    expect(missing.line).toBeGreaterThanOrEqual(lineOf(bad, 'brand-new:'));
    expect(missing.line).toBeLessThanOrEqual(lineOf(bad, 'class: nic-x'));
    expect(errors.every((e) => e.path.startsWith('catalogue.devices.brand-new.'))).toBe(true);
    expect(errors.every((e) => /needs every field/.test(e.message))).toBe(true);
  });

  it('an override of a built-in entry does not get the hint', () => {
    const bad = `${MINIMAL}catalogue:
  devices:
    nic-25g:
      dmarFaultFatal: 2
`;
    const errors = errorsOf(parseSpecText(bad));
    const e = find(errors, 'catalogue.devices.nic-25g.dmarFaultFatal');
    expect(e.message).not.toMatch(/needs every field/);
    expect(e.line).toBe(lineOf(bad, 'dmarFaultFatal'));
  });
});

describe('parseSpecOrThrow', () => {
  it('throws SpecValidationError listing every error', () => {
    const text = MINIMAL.replace('profile: compute-2s', 'profile: nope').replace(
      'strategies: [none]',
      'strategies: [none, bogus]',
    );
    let caught: unknown;
    try {
      parseSpecOrThrow(text);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SpecValidationError);
    const err = caught as SpecValidationError;
    expect(err.name).toBe('SpecValidationError');
    expect(err.errors).toHaveLength(2);
    expect(err.message).toMatch(/^invalid spec:/);
    expect(err.message).toContain('fleet[0].profile (line 4): unknown profile "nope"');
    expect(err.message).toContain('strategies[1] (line 8): unknown strategy "bogus"');
  });

  it('returns the resolved spec with the catalogue merged in', () => {
    const r = parseSpecOrThrow(MINIMAL);
    expect(r.servers).toBe(5);
    expect(r.profiles['compute-2s']).toBeDefined();
    expect(r.devices['nic-100g']).toBeDefined();
    expect(r.strategies).toEqual([
      {
        name: 'none',
        description: 'baseline: load every driver, reset nothing',
        blacklist: null,
        whitelist: null,
        resetDevices: false,
        hardening: false,
        irqpoll: false,
        nousb: false,
        nrCpus: 1,
        resets: [],
        source: BUILTIN_STRATEGIES.none!.source,
      },
    ]);
  });
});

describe('formatPath', () => {
  it('joins names with dots and indices with brackets', () => {
    expect(formatPath([])).toBe('');
    expect(formatPath(['fleet', 0, 'count'])).toBe('fleet[0].count');
    expect(formatPath(['a', 'b', 1, 2, 'c'])).toBe('a.b[1][2].c');
  });
});

describe('specJsonSchema', () => {
  it('is a JSON Schema object describing the fleet', () => {
    const schema = specJsonSchema() as {
      $schema?: string;
      properties?: Record<string, unknown>;
      required?: string[];
    };
    expect(typeof schema).toBe('object');
    expect(schema.$schema).toMatch(/json-schema/);
    expect(schema.properties?.fleet).toBeDefined();
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'seed', 'fleet']));
    // It survives JSON serialisation (editors read it as a file).
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});

describe('per-field sources of a spec override', () => {
  const spec = (driver: string) => `
name: sources
seed: 1
fleet: [{profile: compute-2s, count: 1}]
events: {crash: {perServer: 1, causes: {panic: 1}}}
strategies: [none]
catalogue:
  drivers:
    nvme: ${driver}
`;
  it('a figure the spec sets cites the spec, its own sources entry, or the entry source it wrote', () => {
    const plain = parseSpecOrThrow(spec('{memoryMiB: 99}')).drivers.nvme!;
    expect(plain.sources!.memoryMiB).toBe(SPEC_SOURCE);
    expect(plain.sources!.probeTimeoutMs).toBe(BUILTIN_DRIVERS.nvme!.sources!.probeTimeoutMs);
    const cited = parseSpecOrThrow(
      spec('{memoryMiB: 99, sources: {memoryMiB: "assumption: measured by us"}}'),
    ).drivers.nvme!;
    expect(cited.sources!.memoryMiB).toBe('assumption: measured by us');
    const calibrated = parseSpecOrThrow(spec('{memoryMiB: 99, source: "lab: run 7"}')).drivers
      .nvme!;
    expect(calibrated.sources!.memoryMiB).toBe('lab: run 7');
  });
});
