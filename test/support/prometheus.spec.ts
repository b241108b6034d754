import { describe, expect, it } from 'vitest';
import { familyOf, parsePrometheusText, select, sumOf } from './prometheus';

const TEXT = `# HELP fleetsim_recoveries_total Recoveries by outcome.
# TYPE fleetsim_recoveries_total counter
fleetsim_recoveries_total{experiment="e1",strategy="none",outcome="captured"} 12
fleetsim_recoveries_total{experiment="e1",strategy="none",outcome="failed"} 3
# a plain comment
# TYPE fleetsim_shard_seconds histogram
fleetsim_shard_seconds_bucket{le="0.1"} 1
fleetsim_shard_seconds_bucket{le="+Inf"} 2
fleetsim_shard_seconds_sum 0.35
fleetsim_shard_seconds_count 2
# TYPE weird gauge
weird{path="a\\\\b \\"q\\" \\n",x="1"} -1.5e3 1700000000000
weird NaN
`;

describe('parsePrometheusText', () => {
  it('reads types, help, labels with escapes, values and timestamps', () => {
    const e = parsePrometheusText(TEXT);
    expect(e.types.get('fleetsim_recoveries_total')).toBe('counter');
    expect(e.help.get('fleetsim_recoveries_total')).toBe('Recoveries by outcome.');
    expect(e.samples).toHaveLength(8);
    expect(sumOf(e, 'fleetsim_recoveries_total', { strategy: 'none' })).toBe(15);
    expect(select(e, 'fleetsim_shard_seconds_bucket', { le: '+Inf' })[0]!.value).toBe(2);
    expect(select(e, 'weird', { x: '1' })[0]!.labels.path).toBe('a\\b "q" \n');
    expect(select(e, 'weird', { x: '1' })[0]!.value).toBe(-1500);
    expect(Number.isNaN(select(e, 'weird')[1]!.value)).toBe(true);
    expect(familyOf(e, 'fleetsim_shard_seconds_count')).toBe('fleetsim_shard_seconds');
    expect(familyOf(e, 'nothing_here')).toBeUndefined();
  });

  it.each([
    ['metric{a="1"', 'line 1'],
    ['metric{a=1} 2', 'label a'],
    ['metric{1a="x"} 2', 'label name'],
    ['metric 1 2 3', 'value'],
    ['metric abc', 'bad value'],
    ['metric{a="x",a="y"} 1', 'twice'],
    ['# TYPE m gauge\n# TYPE m counter', 'second TYPE'],
    ['# TYPE m thing', 'unknown type'],
    ['9metric 1', 'no metric name'],
  ])('refuses %j, saying %s', (text, message) => {
    expect(() => parsePrometheusText(text)).toThrow(message);
  });
});
