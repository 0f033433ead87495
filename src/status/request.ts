// What a status request asks for, decided from the request line alone, so
// that a malformed request is a 400 chosen here rather than an exception
// further down. Pure: method, target and Accept header in, route or the
// answer to give out.
import { quote } from '../util/text.js';

export type Format = 'json' | 'text';

export type StatusRoute =
  | { readonly kind: 'status'; readonly format: Format }
  /** /status/<prefix>/<rest>, rest percent-decoded. */
  | { readonly kind: 'sub'; readonly prefix: string; readonly rest: string; readonly format: Format }
  | { readonly kind: 'metrics' }
  | { readonly kind: 'healthz' };

export type ParsedRequest =
  | { readonly ok: true; readonly route: StatusRoute; readonly path: string }
  | { readonly ok: false; readonly code: 400 | 404 | 405; readonly message: string };

/** Query parameters the endpoint understands; anything else is refused, so a typo is not silently ignored. */
const KNOWN_PARAMS = new Set(['format']);

function bad(message: string): ParsedRequest {
  return { ok: false, code: 400, message };
}

function decodeSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** text when asked for by ?format=text or an Accept header preferring text/plain (curl's "*\/*" gets JSON). */
function formatOf(query: URLSearchParams, accept: string): Format | string {
  const f = query.get('format');
  if (f !== null) return f;
  return /text\/plain/.test(accept) && !/application\/json/.test(accept) ? 'text' : 'json';
}

export function parseRequest(method: string | undefined, target: string | undefined, accept = ''): ParsedRequest {
  if (method !== 'GET' && method !== 'HEAD') return { ok: false, code: 405, message: 'only GET and HEAD' };
  const t = target ?? '';
  // Origin form only ("/path?query"): what every client sends to a server it is not a proxy for.
  if (!t.startsWith('/') || t.startsWith('//')) return bad(`request target ${quote(t)}: expected a path such as /status`);
  const q = t.indexOf('?');
  const rawPath = q < 0 ? t : t.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : t.slice(q + 1));
  for (const key of query.keys()) {
    if (!KNOWN_PARAMS.has(key)) return bad(`unknown query parameter ${quote(key)} (only format=json or format=text)`);
  }
  if (query.getAll('format').length > 1) return bad('format given more than once');
  const format = formatOf(query, accept);
  if (format !== 'json' && format !== 'text') return bad(`format=${quote(format)}: expected json or text`);

  const segments: string[] = [];
  for (const raw of rawPath.split('/').slice(1)) {
    const s = decodeSegment(raw);
    if (s === undefined) return bad(`path ${quote(rawPath)}: malformed %-escape`);
    segments.push(s);
  }
  while (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  const path = '/' + segments.join('/');
  const [first, prefix, ...rest] = segments;
  if (segments.length === 1 && first === 'metrics') return { ok: true, route: { kind: 'metrics' }, path };
  if (segments.length === 1 && first === 'healthz') return { ok: true, route: { kind: 'healthz' }, path };
  if (first === 'status') {
    if (prefix === undefined) return { ok: true, route: { kind: 'status', format }, path };
    return { ok: true, route: { kind: 'sub', prefix, rest: rest.join('/'), format }, path };
  }
  return { ok: false, code: 404, message: 'try /status, /metrics or /healthz' };
}
