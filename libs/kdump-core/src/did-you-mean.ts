/** "Did you mean" suggestions for mistyped names. */

/** Edit distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = up;
    }
  }
  return row[b.length]!;
}

/** ` (did you mean "x"?)` for the closest of `known` within a third of its length, or ''. */
export function didYouMean(name: string, known: readonly string[]): string {
  let best = '';
  let distance = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < distance) {
      best = k;
      distance = d;
    }
  }
  return best && distance <= Math.max(2, Math.floor(best.length / 3))
    ? ` (did you mean "${best}"?)`
    : '';
}
