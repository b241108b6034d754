/**
 * Dump capture in the capture kernel: makedumpfile filters the old kernel's
 * memory (about 19 s per TB with mmap) and writes what remains (with -d 31
 * usually under 10 % of RAM) through the dump target.
 */

/**
 * Dump time, µs.
 * @param ramGiB the crashed server's memory
 * @param percentOfRam share of RAM left after filtering, percent
 * @param usPerGiB write time per GiB through the dump target
 * @param filterUsPerGiB filtering time per GiB of RAM
 */
export function dumpMicros(
  ramGiB: number,
  percentOfRam: number,
  usPerGiB: number,
  filterUsPerGiB: number,
): number {
  // floor(x + 0.5) rounds a non-negative x as Math.round does, at a fraction of its cost.
  const us = ramGiB * filterUsPerGiB + ((ramGiB * Math.min(percentOfRam, 100)) / 100) * usPerGiB;
  return Math.floor(us + 0.5);
}
