/**
 * Fuzz of the spec parser (issue 10): whatever the text, parseSpecText
 * answers a result (valid, or errors with a message each), never throws, never
 * overflows the stack, and says the same twice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSpecText } from '../../libs/kdump-core/src';
import { FUZZ_RUNS, FUZZ_TIMEOUT_MS, hostileSpec } from './arbitraries';

describe('the spec parser under fuzzing', () => {
  it(
    `never throws, and answers the same twice (${FUZZ_RUNS} cases)`,
    () => {
      fc.assert(
        fc.property(hostileSpec, (text) => {
          const first = parseSpecText(text);
          const second = parseSpecText(text);
          expect(second.ok).toBe(first.ok);
          if (!first.ok) {
            expect(first.errors.length).toBeGreaterThan(0);
            for (const e of first.errors) {
              expect(typeof e.message).toBe('string');
              expect(e.message.length).toBeGreaterThan(0);
            }
          }
        }),
        { numRuns: FUZZ_RUNS },
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});
