/**
 * The fleetsim version: the root package.json's, found by walking up from the
 * running file (dist/libs/fleet-platform/src, or libs/fleet-platform/src in tests), read once.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Name of the root package, to skip apps/cli/package.json and any other package.json on the way up. */
const ROOT_PACKAGE = 'kdump-fleet-sim';

export const UNKNOWN_VERSION = '0.0.0';

/** The version of the nearest root package.json above `startDir`, or {@link UNKNOWN_VERSION}. */
export function findVersion(startDir: string): string {
  let dir = startDir;
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === ROOT_PACKAGE && typeof pkg.version === 'string') {
        return pkg.version;
      }
    } catch {
      // No (readable) package.json here: keep walking up.
    }
    const parent = dirname(dir);
    if (parent === dir) {
      return UNKNOWN_VERSION;
    }
    dir = parent;
  }
}

let cached: string | undefined;

/** This fleetsim's version. */
export function fleetsimVersion(): string {
  cached ??= findVersion(__dirname);
  return cached;
}
