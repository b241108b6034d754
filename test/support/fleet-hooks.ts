/**
 * Vitest wiring of an {@link AppFleet}: one per `describe`, on its own queue
 * prefix; its processes' output is printed when a test (or a hook) fails; all
 * of it stopped and the prefix's Redis keys deleted afterwards.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { AppFleet } from './apps';
import { cleanPrefix, requireRedisUrl, uniquePrefix } from './redis';

export interface FleetHandle {
  readonly fleet: AppFleet;
  readonly redisUrl: string;
  readonly prefix: string;
}

/** Registers the hooks in the current `describe`; use the handle inside tests and hooks. */
export function useFleet(tag: string): FleetHandle {
  let fleet: AppFleet | undefined;
  let redisUrl = '';
  let prefix = '';
  let printed = false;

  const print = (why: string) => {
    if (!fleet || printed) {
      return;
    }
    printed = true;
    console.log(
      `\n===== ${why}: output of the apps (prefix ${prefix}) =====\n${fleet.logs()}\n===== end of output =====\n`,
    );
  };

  beforeAll(() => {
    redisUrl = requireRedisUrl();
    prefix = uniquePrefix(tag);
    fleet = new AppFleet({ redisUrl, prefix });
  });

  beforeEach((ctx) => {
    ctx.onTestFailed(() => print(`"${ctx.task.name}" failed`));
  });

  // A failed start throws with the tail of that app's output (see AppProcess.waitUntil).
  afterAll(async () => {
    if (fleet) {
      await fleet.stopAll();
    }
    if (redisUrl && prefix) {
      await cleanPrefix(redisUrl, prefix);
    }
  });

  return {
    get fleet() {
      if (!fleet) {
        throw new Error('useFleet: no fleet before beforeAll ran');
      }
      return fleet;
    },
    get redisUrl() {
      return redisUrl;
    },
    get prefix() {
      return prefix;
    },
  };
}
