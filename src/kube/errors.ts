// What went wrong in a call through client-node, in one shape. KubeRest
// (rest.ts) raises client-node's ApiException (HTTP `code`, the Status in
// `body`), as its typed APIs do; its Watch a plain Error with
// `statusCode`; node-fetch a FetchError (errno string in `code`) when the
// connection fails.

import { backoffDelay, type BackoffPolicy } from '../util/backoff.js';

export interface ApiFailure {
  /** HTTP status, absent when no response arrived. */
  status?: number;
  /** The Status reason ("Conflict", "NotFound", ...) when the server sent one. */
  reason?: string;
  message: string;
  /** From Retry-After or the Status details, when the server asked for a pause. */
  retryAfterSeconds?: number;
  /** Connection-level failure (refused, reset, timed out): worth retrying. */
  network: boolean;
}

const networkCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND',
  'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE',
]);

function parseBody(body: unknown): Record<string, unknown> | undefined {
  if (typeof body === 'string') {
    try {
      const v = JSON.parse(body) as unknown;
      return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  return body && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
}

/**
 * A refusal's body as KubeRest keeps it: the JSON object it holds (a
 * Status, as a rule), else the text. Parsed once here, so that the checks
 * callers run one after the other (isConflict, isNotFound, describeApiError)
 * do not parse it again each.
 */
export function refusalBody(text: string): unknown {
  return parseBody(text) ?? text;
}

/** The message of a Status answer (text or parsed), if the body is one. */
export function statusMessageIn(body: unknown): string | undefined {
  const s = parseBody(body);
  return s && s['kind'] === 'Status' && typeof s['message'] === 'string' && s['message'] !== '' ? s['message'] : undefined;
}

export function describeApiError(err: unknown): ApiFailure {
  const e = (err ?? {}) as { code?: unknown; statusCode?: unknown; body?: unknown; headers?: unknown; message?: unknown; type?: unknown; errno?: unknown };
  const status = typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const out: ApiFailure = { message: typeof e.message === 'string' ? e.message : String(err), network: false };
  if (status !== undefined) {
    out.status = status;
    const s = parseBody(e.body);
    if (s && s['kind'] === 'Status') {
      if (typeof s['reason'] === 'string' && s['reason'] !== '') out.reason = s['reason'];
      if (typeof s['message'] === 'string') out.message = s['message'];
      const ra = (s['details'] as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
      if (typeof ra === 'number') out.retryAfterSeconds = ra;
    }
    const headers = e.headers as Record<string, unknown> | undefined;
    const h = headers?.['retry-after'];
    if (out.retryAfterSeconds === undefined && typeof h === 'string' && /^\d+$/.test(h)) out.retryAfterSeconds = Number(h);
    return out;
  }
  const code = typeof e.code === 'string' ? e.code : typeof e.errno === 'string' ? e.errno : undefined;
  out.network = (code !== undefined && networkCodes.has(code)) || e.type === 'system' || /premature close|socket hang up/i.test(out.message);
  return out;
}

export function isConflict(err: unknown): boolean {
  const f = describeApiError(err);
  return f.status === 409 && f.reason !== 'AlreadyExists';
}
export const isAlreadyExists = (err: unknown): boolean => describeApiError(err).reason === 'AlreadyExists';
export const isNotFound = (err: unknown): boolean => describeApiError(err).status === 404;
export const isGone = (err: unknown): boolean => describeApiError(err).status === 410;

/** Failures a retry can fix: throttling, server-side trouble, lost connections. Not 4xx verdicts on the request. */
export function isRetryable(err: unknown): boolean {
  const f = describeApiError(err);
  if (f.status === undefined) return f.network;
  return f.status === 429 || f.status === 500 || f.status === 502 || f.status === 503 || f.status === 504;
}

/** The pause before retry `attempt` (0 for the first) of a failed call: the backoff, or longer when the server asked for it. */
export function retryDelayMs(f: ApiFailure, attempt: number, backoff: BackoffPolicy, random: () => number): number {
  return Math.max(backoffDelay(attempt, backoff, random), (f.retryAfterSeconds ?? 0) * 1000);
}
