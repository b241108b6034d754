/**
 * The fleetsim version: the root package.json's, found by walking up from the
 * running file (dist/apps/coordinator/src/domain or apps/coordinator/src/domain), read once.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ROOT_PACKAGE = 'kdump-fleet-sim';

/** The version of the nearest root package.json above `startDir`, or 0.0.0. */
export function findVersion(startDir: string): string {
  for (let dir = startDir; ; dir = dirname(dir)) {
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
    if (dirname(dir) === dir) {
      return '0.0.0';
    }
  }
}

let cached: string | undefined;

/** This fleetsim's version. */
export function fleetsimVersion(): string {
  cached ??= findVersion(__dirname);
  return cached;
}
