/**
 * A request to trace one job of one server, checked before it runs: a server
 * outside the fleet, or an event the server does not have, is a refusal (data)
 * naming the server and its events. `FleetEngine.traceJob` keeps its own
 * checks, as invariant errors for callers that did not come through here.
 */
import type { FleetEngine } from './engine';
import type { JobKind } from './outcome';
import { accepted, refused, type Refusable, type Refusal } from './refusal';
import type { JobTrace } from './trace';

/** Why a trace request is refused, with what the caller needs to word it its own way. */
export type TraceRefusal = Refusal<'server-outside-fleet' | 'no-events' | 'no-such-event'> & {
  server: number;
  kind: JobKind;
  event: number;
  /** Servers in the fleet. */
  servers: number;
  /** The server's events of that kind (0 when outside the fleet). */
  events: number;
};

/**
 * Whether `engine`'s fleet has server `server` and that server has `kind`
 * event `event`; when it does, how many events of that kind it has.
 */
export function checkTraceRequest(
  engine: FleetEngine,
  server: number,
  kind: JobKind,
  event: number,
): Refusable<{ events: number }, TraceRefusal> {
  const servers = engine.model.servers;
  const facts = { server, kind, event, servers };
  if (!Number.isInteger(server) || server < 0 || server >= servers) {
    return refused({
      code: 'server-outside-fleet',
      message: `server ${server} is outside the fleet of ${servers}`,
      path: 'server',
      ...facts,
      events: 0,
    });
  }
  const events = engine.eventCount(server, kind);
  if (!Number.isInteger(event) || event < 0) {
    return refused({
      code: 'no-such-event',
      message: `event must be a non-negative integer, got ${event}`,
      path: 'event',
      ...facts,
      events,
    });
  }
  if (event >= events) {
    return refused({
      code: events === 0 ? 'no-events' : 'no-such-event',
      message:
        events === 0
          ? `server ${server} has no ${kind} events in this spec`
          : `server ${server} has ${events} ${kind} event(s); event ${event} does not happen`,
      path: 'event',
      ...facts,
      events,
    });
  }
  return accepted({ events });
}

/**
 * Traces event `event` of kind `kind` of server `server` ({@link FleetEngine.traceJob}),
 * or says why not.
 */
export function traceServerJob(
  engine: FleetEngine,
  server: number,
  kind: JobKind,
  event = 0,
): Refusable<JobTrace, TraceRefusal> {
  const checked = checkTraceRequest(engine, server, kind, event);
  return checked.ok ? accepted(engine.traceJob(server, kind, event)) : checked;
}
