import { describe, expect, it } from 'vitest';
import { erlangC } from './erlang-c';

describe('erlangC', () => {
  it('is M/M/1 for one server: P(wait) = ρ, W_q = ρ / (μ − λ)', () => {
    const q = erlangC(0.6, 1, 1);
    expect(q.probabilityOfWait).toBeCloseTo(0.6, 12);
    expect(q.meanWait).toBeCloseTo(0.6 / 0.4, 12);
  });

  it('matches the direct sum formula for c = 4, a = 3.2', () => {
    // C(c, a) = (a^c / c!) · c/(c − a) / (Σ_{k<c} a^k/k! + a^c/c! · c/(c − a))
    const a = 3.2;
    const c = 4;
    let sum = 0;
    let term = 1;
    for (let k = 0; k < c; k++) {
      sum += term;
      term = (term * a) / (k + 1);
    }
    const top = (term * c) / (c - a);
    const expected = top / (sum + top);
    const q = erlangC(3.2, 1, 4);
    expect(q.probabilityOfWait).toBeCloseTo(expected, 12);
    expect(q.probabilityOfWait).toBeCloseTo(0.5964, 4);
    expect(q.meanWait).toBeCloseTo(expected / (4 - 3.2), 12);
    expect(q.waitExceeds(1)).toBeCloseTo(expected * Math.exp(-0.8), 12);
  });

  it('refuses an unstable queue with its load', () => {
    expect(() => erlangC(4, 1, 4)).toThrow(
      'M/M/4 with load 4.000 Erlangs is unstable (ρ = 1.000 ≥ 1)',
    );
    expect(() => erlangC(1, 1, 0)).toThrow('Erlang C needs');
  });
});
