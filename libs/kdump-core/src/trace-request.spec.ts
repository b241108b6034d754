import { describe, expect, it } from 'vitest';
import { compileExperiment } from './compile';
import { FleetEngine } from './engine';
import { parseSpecOrThrow } from './spec';
import { checkTraceRequest, traceServerJob } from './trace-request';

const engine = new FleetEngine(
  compileExperiment(
    parseSpecOrThrow(`
name: trace-request
seed: 5
fleet:
  - profile: compute-2s
    count: 10
events:
  crash:
    perServer: 2
    causes: { panic: 1 }
strategies: [none, fallback]
`),
  ),
);

describe('traceServerJob', () => {
  it('traces what engine.traceJob traces', () => {
    const traced = traceServerJob(engine, 3, 'crash', 1);
    expect(traced).toEqual({ ok: true, value: engine.traceJob(3, 'crash', 1) });
  });

  it('refuses a server outside the fleet, with the engine message', () => {
    expect(traceServerJob(engine, 10, 'crash')).toEqual({
      ok: false,
      refusal: {
        code: 'server-outside-fleet',
        message: 'server 10 is outside the fleet of 10',
        path: 'server',
        server: 10,
        kind: 'crash',
        event: 0,
        servers: 10,
        events: 0,
      },
    });
    expect(checkTraceRequest(engine, -1, 'crash', 0)).toMatchObject({
      ok: false,
      refusal: { code: 'server-outside-fleet' },
    });
    expect(checkTraceRequest(engine, 1.5, 'crash', 0)).toMatchObject({ ok: false });
  });

  it('refuses a kind the server has no events of, and an event past its events', () => {
    expect(traceServerJob(engine, 3, 'reboot')).toMatchObject({
      ok: false,
      refusal: {
        code: 'no-events',
        message: 'server 3 has no reboot events in this spec',
        events: 0,
      },
    });
    expect(traceServerJob(engine, 3, 'crash', 2)).toMatchObject({
      ok: false,
      refusal: {
        code: 'no-such-event',
        message: 'server 3 has 2 crash event(s); event 2 does not happen',
        events: 2,
        path: 'event',
      },
    });
    expect(checkTraceRequest(engine, 3, 'crash', -1)).toMatchObject({
      ok: false,
      refusal: { code: 'no-such-event', message: 'event must be a non-negative integer, got -1' },
    });
  });

  it('says how many events the server has when it accepts', () => {
    expect(checkTraceRequest(engine, 0, 'crash', 1)).toEqual({ ok: true, value: { events: 2 } });
  });

  it("leaves engine.traceJob's own checks as thrown invariants", () => {
    expect(() => engine.traceJob(10, 'crash', 0)).toThrow(RangeError);
  });
});
