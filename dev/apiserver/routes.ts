// URL paths of the Kubernetes REST API, parsed into what they address.
// Pure: no knowledge of which types are served.

export type Route =
  | { kind: 'core-versions' }
  | { kind: 'group-list' }
  | { kind: 'group'; group: string }
  | { kind: 'group-version'; group: string; version: string }
  | { kind: 'version' }
  | { kind: 'health' }
  | { kind: 'openapi-index' }
  | { kind: 'openapi-group-version'; group: string; version: string }
  | {
    kind: 'resource';
    group: string;
    version: string;
    plural: string;
    namespace?: string;
    name?: string;
    subresource?: string;
  }
  | { kind: 'unknown' };

function decode(seg: string): string | undefined {
  try {
    return decodeURIComponent(seg);
  } catch {
    return undefined;
  }
}

export function parseRoute(pathname: string): Route {
  const raw = pathname.split('/').filter((s) => s !== '');
  const segs: string[] = [];
  for (const r of raw) {
    const d = decode(r);
    if (d === undefined) return { kind: 'unknown' };
    segs.push(d);
  }
  if (segs.length === 1 && segs[0] === 'version') return { kind: 'version' };
  if (segs.length === 1 && ['healthz', 'livez', 'readyz'].includes(segs[0]!)) return { kind: 'health' };
  if (segs[0] === 'openapi' && segs[1] === 'v3') {
    if (segs.length === 2) return { kind: 'openapi-index' };
    if (segs.length === 4 && segs[2] === 'api') return { kind: 'openapi-group-version', group: '', version: segs[3]! };
    if (segs.length === 5 && segs[2] === 'apis') return { kind: 'openapi-group-version', group: segs[3]!, version: segs[4]! };
    return { kind: 'unknown' };
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api') {
    if (segs.length === 1) return { kind: 'core-versions' };
    group = '';
    version = segs[1]!;
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (segs.length === 1) return { kind: 'group-list' };
    if (segs.length === 2) return { kind: 'group', group: segs[1]! };
    group = segs[1]!;
    version = segs[2]!;
    rest = segs.slice(3);
  } else {
    return { kind: 'unknown' };
  }
  if (rest.length === 0) return { kind: 'group-version', group, version };
  const base = { kind: 'resource' as const, group, version };
  // /namespaces/<ns>/<plural>/... addresses a namespaced resource, except the
  // core group's own namespace subresources (/namespaces/<name>/status).
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(group === '' && rest.length === 3 && ['status', 'finalize'].includes(rest[2]!))) {
    const [, namespace, plural, name, subresource, ...extra] = rest;
    if (extra.length > 0) return { kind: 'unknown' };
    return { ...base, namespace, plural: plural!, ...(name !== undefined && { name }), ...(subresource !== undefined && { subresource }) };
  }
  const [plural, name, subresource, ...extra] = rest;
  if (extra.length > 0) return { kind: 'unknown' };
  return { ...base, plural: plural!, ...(name !== undefined && { name }), ...(subresource !== undefined && { subresource }) };
}
