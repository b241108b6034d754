import { afterEach, describe, expect, it, vi } from 'vitest';
import { CoordinatorError } from './coordinator-client';
import { pollUntil, type PollOptions } from './poll-until';

const FAST: PollOptions = { initialMs: 1, maxMs: 4, unreachableMs: 20 };

/** A fetch that answers (or throws) each item of `script` in turn, then repeats the last one. */
function scripted<T>(script: Array<T | Error>): { fetch: () => Promise<T>; calls: () => number } {
  let calls = 0;
  return {
    fetch: () => {
      const next = script[Math.min(calls, script.length - 1)]!;
      calls++;
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
    calls: () => calls,
  };
}

const unreachable = () =>
  new CoordinatorError('unreachable', 'the coordinator at http://c:1 is unreachable: ECONNREFUSED');

afterEach(() => {
  vi.restoreAllMocks();
});

describe('pollUntil', () => {
  it('waits initialMs, then half as long again each time, up to maxMs', async () => {
    const waits: number[] = [];
    const f = scripted(['running', 'running', 'running', 'running', 'running', 'done']);
    const last = await pollUntil(
      { initialMs: 10, maxMs: 30, unreachableMs: 1000 },
      {
        first: 'queued',
        fetch: f.fetch,
        isFinal: (s) => s === 'done',
        sleep: async (ms) => void waits.push(ms),
      },
    );
    expect(last).toBe('done');
    // 10, ceil(15), ceil(22.5), min(30, ceil(34.5)), ...
    expect(waits).toEqual([10, 15, 23, 30, 30, 30]);
    expect(f.calls()).toBe(6);
  });

  it('reports the first status and every one fetched; no request when the first is final', async () => {
    const seen: string[] = [];
    const f = scripted(['running', 'done']);
    await pollUntil(FAST, {
      first: 'queued',
      fetch: f.fetch,
      isFinal: (s) => s === 'done',
      onStatus: (s) => seen.push(s),
    });
    expect(seen).toEqual(['queued', 'running', 'done']);

    const g = scripted(['running']);
    expect(
      await pollUntil(FAST, { first: 'done', fetch: g.fetch, isFinal: (s) => s === 'done' }),
    ).toBe('done');
    expect(g.calls()).toBe(0);
  });

  it('rides out an unreachable coordinator and a 5xx shorter than unreachableMs', async () => {
    const seen: string[] = [];
    const f = scripted<string>([
      'running',
      unreachable(),
      new CoordinatorError('server', 'the coordinator answered 503', 503),
      unreachable(),
      'running',
      'done',
    ]);
    const last = await pollUntil(
      { initialMs: 1, maxMs: 2, unreachableMs: 5_000 },
      {
        first: 'queued',
        fetch: f.fetch,
        isFinal: (s) => s === 'done',
        onStatus: (s) => seen.push(s),
      },
    );
    expect(last).toBe('done');
    expect(seen).toEqual(['queued', 'running', 'running', 'done']);
    expect(f.calls()).toBe(6);
  });

  it('gives up once unreachable for longer than unreachableMs, saying so', async () => {
    const f = scripted<string>(['running', unreachable()]);
    const failure = pollUntil(FAST, {
      first: 'queued',
      fetch: f.fetch,
      isFinal: (s) => s === 'done',
    });
    await expect(failure).rejects.toMatchObject({
      name: 'CoordinatorError',
      kind: 'unreachable',
      message: 'the coordinator at http://c:1 is unreachable: ECONNREFUSED; gave up after 0 s',
    });
  });

  it('names unreachableMs in whole seconds when giving up', async () => {
    // A clock that moves on 400 ms at each wait: 1.5 s pass in four polls, not in real time.
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const g = scripted<string>([new CoordinatorError('server', 'answered 502', 502)]);
    await expect(
      pollUntil(
        { initialMs: 1, maxMs: 2, unreachableMs: 1_500 },
        {
          first: 'queued',
          fetch: g.fetch,
          isFinal: (s) => s === 'done',
          sleep: async () => void (now += 400),
        },
      ),
    ).rejects.toMatchObject({
      kind: 'server',
      status: 502,
      message: 'answered 502; gave up after 2 s',
    });
    // Unreachable since the first failure (t = 400): given up at t = 2000, the fifth request.
    expect(g.calls()).toBe(5);
  });

  it('with onGiveUp "rethrow", gives up with the last error as it is', async () => {
    const last = unreachable();
    const f = scripted<string>([last]);
    await expect(
      pollUntil(FAST, {
        first: 'queued',
        fetch: f.fetch,
        isFinal: (s) => s === 'done',
        onGiveUp: 'rethrow',
      }),
    ).rejects.toBe(last);
  });

  it('lets any other error through at once', async () => {
    const notFound = new CoordinatorError('not-found', 'experiment "x" not found', 404);
    const f = scripted<string>(['running', notFound, 'done']);
    await expect(
      pollUntil(FAST, { first: 'queued', fetch: f.fetch, isFinal: (s) => s === 'done' }),
    ).rejects.toBe(notFound);
    expect(f.calls()).toBe(2);
    const bug = new TypeError('boom');
    await expect(
      pollUntil(FAST, {
        first: 'queued',
        fetch: () => Promise.reject(bug),
        isFinal: (s) => s === 'done',
      }),
    ).rejects.toBe(bug);
  });

  it('stops with the last status when stopped, checked before and after each wait', async () => {
    let stop = false;
    const f = scripted(['running']);
    const last = await pollUntil(FAST, {
      first: 'queued',
      fetch: f.fetch,
      isFinal: (s) => s === 'done',
      sleep: async () => {
        if (f.calls() === 2) {
          stop = true;
        }
      },
      stopped: () => stop,
    });
    expect(last).toBe('running');
    expect(f.calls()).toBe(2);

    const g = scripted(['running']);
    expect(
      await pollUntil(FAST, {
        first: 'queued',
        fetch: g.fetch,
        isFinal: (s) => s === 'done',
        stopped: () => true,
      }),
    ).toBe('queued');
    expect(g.calls()).toBe(0);
  });
});
