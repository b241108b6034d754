/** Small statistics and formatting helpers for the benchmark. */

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) {
    throw new RangeError('median of an empty list');
  }
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median, minimum and maximum of a non-empty list. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** Wall-clock seconds since `start` (from {@link now}). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export function now(): bigint {
  return process.hrtime.bigint();
}

/** `1,234,567` */
export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Millions with three decimals: `1.506 M`. */
export function millions(n: number): string {
  return `${(n / 1e6).toFixed(3)} M`;
}

/** A spread as `median [min – max]` with a formatter. */
export function showSpread(s: Spread, fmt: (n: number) => string): string {
  return `${fmt(s.median)}  [${fmt(s.min)} – ${fmt(s.max)}]`;
}

/** Rounds to `digits` significant decimals for the JSON line. */
export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Left-aligned table with a header row. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
