/**
 * Generators of hostile spec text for the fuzz suites: random mutations of a
 * valid spec with YAML's special characters and prototype names, deep
 * nesting, alias chains, many keys, and arbitrary JSON and strings.
 */
import fc from 'fast-check';

/** A valid spec every mutation starts from. */
export const BASE_SPEC = `name: fuzz
seed: 1
fleet:
  - profile: compute-2s
    count: 3
events:
  crash: { perServer: 1, causes: { panic: 1 } }
strategies: [none, { name: mine, extends: reset_devices }]
catalogue:
  devices:
    nic: { extends: nic-25g }
`;

/** Cases per property: FUZZ_RUNS (the bench script sets 10,000), else a few hundred for CI. */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 200);
/** Test timeout for FUZZ_RUNS cases: 30 ms a case, at least a minute. */
export const FUZZ_TIMEOUT_MS = Math.max(60_000, FUZZ_RUNS * 30);

const SPECIAL = [
  '[',
  ']',
  '{',
  '}',
  ':',
  ',',
  '-',
  '&a',
  '*a',
  '!',
  '|',
  '>',
  "'",
  '"',
  '#',
  '%',
  '@',
  '`',
  '\n',
  '  ',
  '\t',
  '\\',
  '~',
  '?',
  'null',
  '1e400',
  '-0',
  '0x10',
  'constructor',
  '__proto__',
  'toString',
  'prototype',
  'extends: constructor',
  '<<: *a',
  '\u0000',
  '\uFFFF',
  '😀',
];

const piece = fc.oneof(fc.constantFrom(...SPECIAL), fc.string({ maxLength: 6 }));

/** One edit of the text: insert, delete or replace at a position. */
const edit = fc.record({
  at: fc.nat(),
  remove: fc.nat({ max: 8 }),
  insert: fc.array(piece, { maxLength: 4 }).map((p) => p.join('')),
});

/** The base spec with a few random edits. */
export const mutatedSpec = fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
  let text = BASE_SPEC;
  for (const e of edits) {
    const at = e.at % (text.length + 1);
    text = text.slice(0, at) + e.insert + text.slice(at + e.remove);
  }
  return text;
});

/** Deep nesting, as JSON or YAML flow or block lists. */
export const deepSpec = fc
  .record({
    depth: fc.integer({ min: 1, max: 3000 }),
    kind: fc.constantFrom('[', '{"a":', '- ', '{a: '),
  })
  .map(({ depth, kind }) => {
    const close = kind === '[' ? ']' : kind === '- ' ? '' : '}';
    return `${kind.repeat(depth)}1${close.repeat(depth)}`;
  });

/** Alias chains that expand exponentially. */
export const aliasSpec = fc.integer({ min: 2, max: 12 }).map((levels) => {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < levels; i++) {
    lines.push(
      `a${i}: &a${i} [${Array(8)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  }
  return `${BASE_SPEC}${lines.join('\n')}\n`;
});

/** Many keys in one map. */
export const wideSpec = fc
  .integer({ min: 1, max: 3000 })
  .map(
    (n) =>
      `${BASE_SPEC}extra:\n${Array.from({ length: n }, (_, i) => `  k${i}: ${i}`).join('\n')}\n`,
  );

/** Any of the above, or arbitrary JSON or text. */
export const hostileSpec = fc.oneof(
  { weight: 6, arbitrary: mutatedSpec },
  { weight: 1, arbitrary: deepSpec },
  { weight: 1, arbitrary: aliasSpec },
  { weight: 1, arbitrary: wideSpec },
  { weight: 1, arbitrary: fc.json({ maxDepth: 6 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);
