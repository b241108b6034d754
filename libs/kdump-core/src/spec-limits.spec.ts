/**
 * Hostile specs: each of these crashed, hung or was wrongly accepted before the
 * bounds of spec-limits.ts (issue 10, found items 1–5). Every one must come
 * back as a refusal naming what is wrong, never as a throw.
 */
import { describe, expect, it } from 'vitest';
import { parseSpecText, type SpecError, type SpecResult } from './spec';
import { LABEL_LIMITS, SPEC_LIMITS } from './spec-limits';

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

function messages(r: SpecResult): string {
  return errorsOf(r)
    .map((e) => `${e.path}: ${e.message}`)
    .join('\n');
}

describe('nesting depth (found 1)', () => {
  const brackets = '['.repeat(1000) + ']'.repeat(1000);
  const deepJson = '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000);
  const deepYamlFlow = 'name: x\nfleet: ' + '['.repeat(5000) + ']'.repeat(5000) + '\n';
  const deepYamlBlock = 'name: x\nfleet:\n' + '- '.repeat(5000) + 'x\n';

  it.each([
    ['[ × 1000 + ] × 1000', brackets],
    ['a 50,000-deep JSON object', deepJson],
    ['deep YAML flow lists', deepYamlFlow],
    ['deep YAML block lists (- - - …)', deepYamlBlock],
  ])('refuses %s, twice in a row, without throwing', (_name, text) => {
    for (let round = 0; round < 2; round++) {
      expect(messages(parseSpecText(text))).toMatch(
        new RegExp(`nests deeper than ${SPEC_LIMITS.maxDepth} levels`),
      );
    }
  });

  it('still reads a spec of ordinary depth, and JSON with its lines', () => {
    expect(parseSpecText(MINIMAL).ok).toBe(true);
    const json = JSON.stringify(
      {
        name: 'j',
        seed: 1,
        fleet: [{ profile: 'compute-2s', count: 0 }],
        events: { crash: { perServer: 1, causes: { panic: 1 } } },
        strategies: ['none'],
      },
      null,
      2,
    );
    const [err] = errorsOf(parseSpecText(json));
    expect(err!.path).toBe('fleet[0].count');
    expect(err!.line).toBe(json.split('\n').findIndex((l) => l.includes('"count"')) + 1);
  });
});

describe('aliases (found 2)', () => {
  it('refuses an alias bomb as a spec error', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const bomb = `${levels.join('\n')}\nname: bomb\n`;
    let result: SpecResult | undefined;
    expect(() => (result = parseSpecText(bomb))).not.toThrow();
    expect(messages(result!)).toMatch(/alias/i);
  });
});

describe('names are own properties, never inherited (found 3)', () => {
  const withLine = (from: string, to: string) => {
    expect(MINIMAL).toContain(from);
    return MINIMAL.replace(from, to);
  };

  it.each(['constructor'])(
    'refuses a profile, a crash cause, a strategy, an extends and a blacklist entry named %s',
    (name) => {
      const profile = errorsOf(
        parseSpecText(withLine('profile: compute-2s', `profile: "${name}"`)),
      );
      expect(profile.map((e) => e.message).join()).toMatch(/unknown profile/);

      const cause = errorsOf(
        parseSpecText(withLine('causes: { panic: 1 }', `causes: { "${name}": 1 }`)),
      );
      expect(cause.map((e) => e.message).join()).toMatch(/unknown crash cause/);

      const strategy = errorsOf(
        parseSpecText(withLine('strategies: [none]', `strategies: ["${name}"]`)),
      );
      expect(strategy.map((e) => e.message).join()).toMatch(/unknown strategy/);

      const ext = errorsOf(
        parseSpecText(
          withLine('strategies: [none]', `strategies: [{ name: mine, extends: "${name}" }]`),
        ),
      );
      expect(ext.map((e) => e.message).join()).toMatch(/extends unknown strategy/);

      const blacklist = errorsOf(
        parseSpecText(
          withLine('strategies: [none]', `strategies: [{ name: mine, blacklist: ["${name}"] }]`),
        ),
      );
      expect(blacklist.map((e) => e.message).join()).toMatch(/unknown driver/);

      const catalogueExtends = errorsOf(
        parseSpecText(`${MINIMAL}catalogue:\n  devices:\n    mine: { extends: "${name}" }\n`),
      );
      expect(catalogueExtends.map((e) => e.message).join()).toMatch(/extends unknown devices/);
    },
  );

  it.each(['__proto__', 'toString', 'hasOwnProperty'])('refuses %s as a name', (name) => {
    for (const [from, to] of [
      ['profile: compute-2s', `profile: "${name}"`],
      ['causes: { panic: 1 }', `causes: { "${name}": 1 }`],
      ['strategies: [none]', `strategies: ["${name}"]`],
    ] as const) {
      expect(parseSpecText(withLine(from, to)).ok).toBe(false);
    }
  });

  it('runs a profile defined by the spec under such a name like any other', () => {
    const spec = withLine('profile: compute-2s', 'profile: constructor').concat(
      'catalogue:\n  profiles:\n    constructor: { extends: compute-2s }\n',
    );
    const r = parseSpecText(spec);
    expect(r.ok).toBe(true);
  });
});

describe('extends chains (found 4)', () => {
  const chain = (n: number) => {
    const lines = ['catalogue:', '  devices:', '    d0: { extends: nic-25g }'];
    for (let i = 1; i < n; i++) {
      lines.push(`    d${i}: { extends: d${i - 1} }`);
    }
    return `${MINIMAL}${lines.join('\n')}\n`;
  };

  it('accepts a chain up to the bound', () => {
    expect(parseSpecText(chain(SPEC_LIMITS.maxExtendsChain)).ok).toBe(true);
  });

  it('refuses a longer chain, naming the bound', () => {
    expect(messages(parseSpecText(chain(900)))).toMatch(
      new RegExp(
        `"extends" chain from devices "d\\d+" is longer than ${SPEC_LIMITS.maxExtendsChain}`,
      ),
    );
  });

  it('refuses a cycle', () => {
    const spec = `${MINIMAL}catalogue:\n  devices:\n    a: { extends: b }\n    b: { extends: a }\n`;
    expect(messages(parseSpecText(spec))).toMatch(/circle/);
  });
});

describe('size and keys (found 5)', () => {
  it('refuses 20,000 keys in one map, as YAML and as JSON', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}`);
    const yaml = `${MINIMAL}extra:\n${keys.map((k) => `  ${k}: 1`).join('\n')}\n`;
    const json = JSON.stringify({ name: 'x', extra: Object.fromEntries(keys.map((k) => [k, 1])) });
    for (const text of [yaml, json]) {
      expect(messages(parseSpecText(text))).toMatch(
        new RegExp(`more than ${SPEC_LIMITS.maxKeysPerMap} entries`),
      );
    }
  });

  it('refuses text longer than the bound', () => {
    const text = `${MINIMAL}# ${'x'.repeat(SPEC_LIMITS.maxChars)}\n`;
    expect(messages(parseSpecText(text))).toMatch(/at most \d+ are accepted/);
  });

  it('parses JSON as JSON: a duplicate-free JSON spec with YAML-special text stays JSON', () => {
    // "on"/"yes" are plain strings in JSON; a `#` inside a string is no comment.
    const description = 'a # not a comment, {[on: yes]}';
    const spec = {
      name: 'json',
      seed: 1,
      fleet: [{ profile: 'compute-2s', count: 2 }],
      events: { crash: { perServer: 1, causes: { panic: 1 } } },
      strategies: [{ name: 'mine', extends: 'none', description }],
    };
    const r = parseSpecText(JSON.stringify(spec));
    expect(r.ok && r.resolved.strategies[0]!.description).toBe(description);
  });
});

describe('label cardinality (found 6)', () => {
  it('refuses more device classes than the bound, naming it and the count', () => {
    const devices = Array.from({ length: 200 }, (_, i) => `    d${i}: { extends: nic-25g }`);
    const spec = `${MINIMAL}catalogue:\n  devices:\n${devices.join('\n')}\n`;
    const errors = errorsOf(parseSpecText(spec));
    const e = errors.find((x) => x.path === 'catalogue.devices');
    expect(e?.message).toMatch(
      new RegExp(`at most ${LABEL_LIMITS.devices} device models .*got 206`),
    );
  });

  it('refuses more strategies than the bound', () => {
    const strategies = Array.from(
      { length: LABEL_LIMITS.strategies + 1 },
      (_, i) => `{ name: s${i}, extends: none }`,
    );
    const spec = MINIMAL.replace('[none]', `[${strategies.join(', ')}]`);
    // The schema bounds the list too; either refusal names the field and the bound.
    expect(messages(parseSpecText(spec))).toMatch(
      new RegExp(`strategies: .*(at most |<=)${LABEL_LIMITS.strategies}`),
    );
  });

  it('accepts a spec at the bounds', () => {
    const devices = Array.from(
      { length: LABEL_LIMITS.devices - 6 },
      (_, i) => `    d${i}: { extends: nic-25g }`,
    );
    const spec = `${MINIMAL}catalogue:\n  devices:\n${devices.join('\n')}\n`;
    expect(parseSpecText(spec).ok).toBe(true);
  });
});
