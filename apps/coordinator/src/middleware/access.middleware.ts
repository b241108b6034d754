/**
 * Who may do what, and what every answer carries, at the Express level so the
 * queue UI (mounted outside Nest's router) is covered too.
 *
 * - With API_TOKEN set, every mutation, the trace endpoints and the whole queue
 *   UI need `Authorization: Bearer <API_TOKEN>`; reads (GET of experiments,
 *   reports, metrics, docs) need API_TOKEN or API_READ_TOKEN, unless
 *   API_READS=public. `/health` stays open for probes. Tokens are compared as
 *   SHA-256 digests with `timingSafeEqual`, so neither their content nor their
 *   length leaks through timing.
 * - A mutation from a browser page of another origin is refused (403) unless
 *   CORS_ORIGINS lists it; CORS headers are sent only for those origins.
 * - Security headers on every answer (helmet's defaults, by hand): nosniff,
 *   frame denial, no referrer, and a CSP that lets the JSON API and the HTML
 *   report load nothing, and the UIs (/docs, /queues) only their own files.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessConfig } from '../config/coordinator.config';
import { ROUTES } from '../../../../libs/fleet-contract/src/http-contract';

/** What a request needs: nothing, a read token, or the write token. */
export type AccessNeed = 'public' | 'read' | 'write';

type Request = IncomingMessage & { originalUrl?: string };
type Next = (err?: unknown) => void;

const READ_METHODS = new Set(['GET', 'HEAD']);

/** The path of a request, decoded and lower-cased (Express matches routes case-insensitively). */
function pathOf(req: Request): string {
  const raw = (req.originalUrl ?? req.url ?? '/').split('?')[0]!;
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // A malformed escape: classify the raw path.
  }
  return decoded.toLowerCase().replace(/\/+/g, '/');
}

function isUnder(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

/** What a request needs. The queue UI needs the write token even to look (it shows Redis's INFO). */
export function accessNeeded(method: string, path: string): AccessNeed {
  if (isUnder(path, '/queues')) {
    return 'write';
  }
  if (READ_METHODS.has(method)) {
    return path === ROUTES.health.path ? 'public' : 'read';
  }
  // A CORS preflight carries no credentials and changes nothing.
  return method === 'OPTIONS' ? 'public' : 'write';
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function deny(res: ServerResponse, status: 401 | 403, message: string): void {
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
  if (status === 401) {
    headers['WWW-Authenticate'] = 'Bearer realm="fleetsim"';
  }
  res.writeHead(status, headers);
  res.end(
    JSON.stringify({
      statusCode: status,
      error: status === 401 ? 'Unauthorized' : 'Forbidden',
      message,
    }),
  );
}

/** The token check, or null when no API_TOKEN is set. */
export function accessMiddleware(
  access: AccessConfig,
): ((req: Request, res: ServerResponse, next: Next) => void) | null {
  if (access.writeToken === null) {
    return null;
  }
  const write = digest(access.writeToken);
  const read = access.readToken === null ? null : digest(access.readToken);
  return (req, res, next) => {
    const need = accessNeeded(req.method ?? 'GET', pathOf(req));
    if (need === 'public' || (need === 'read' && access.reads === 'public')) {
      next();
      return;
    }
    const match = /^Bearer +([^\s]+) *$/i.exec(req.headers.authorization ?? '');
    if (!match) {
      deny(
        res,
        401,
        `${req.method} ${pathOf(req)} needs "Authorization: Bearer <token>" (the coordinator's API_TOKEN${need === 'read' ? ' or API_READ_TOKEN' : ''}); the CLI sends FLEETSIM_TOKEN`,
      );
      return;
    }
    const given = digest(match[1]!);
    // Both comparisons always run: which one matched does not show in the timing.
    const isWrite = timingSafeEqual(given, write);
    const isRead = read !== null && timingSafeEqual(given, read);
    if (isWrite || (need === 'read' && isRead)) {
      next();
      return;
    }
    if (isRead) {
      deny(
        res,
        403,
        `${req.method} ${pathOf(req)} needs the write token (API_TOKEN); this token may only read`,
      );
      return;
    }
    deny(res, 401, 'the bearer token is not valid for this coordinator');
  };
}

/**
 * Refuses a mutation sent by a browser page of another origin (a `text/plain`
 * form post needs no preflight), unless CORS_ORIGINS lists the origin. Requests
 * without an Origin header (curl, the CLI) and same-origin ones (/docs) pass.
 */
export function originMiddleware(
  allowed: readonly string[],
): (req: Request, res: ServerResponse, next: Next) => void {
  const allow = new Set(allowed);
  return (req, res, next) => {
    const origin = req.headers.origin;
    const method = req.method ?? 'GET';
    if (
      origin === undefined ||
      READ_METHODS.has(method) ||
      method === 'OPTIONS' ||
      allow.has(origin)
    ) {
      next();
      return;
    }
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch {
      // `null` or garbage: not same-origin.
    }
    if (host !== null && host === req.headers.host) {
      next();
      return;
    }
    deny(
      res,
      403,
      `requests from origin ${origin} are refused; list it in CORS_ORIGINS to allow it`,
    );
  };
}

/** CSP of everything but the UIs: load nothing; inline CSS and data: images for the HTML report. */
export const API_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/** CSP of /docs and /queues: their own scripts, styles and XHRs only. */
export const UI_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline' https:; font-src 'self' https: data:; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/** helmet-style headers on every answer. */
export function securityHeaders(req: Request, res: ServerResponse, next: Next): void {
  const path = pathOf(req);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader(
    'Content-Security-Policy',
    isUnder(path, '/docs') || isUnder(path, '/queues') ? UI_CSP : API_CSP,
  );
  next();
}
