// Routes as the speaker hands them in, checked and put in canonical form
// (sorted, de-duplicated communities) so that equal routes compare equal.

import { formatPrefix, parseIP, parsePrefix, type IP, type Prefix } from '../../net/index.js';
import { decoded, refused, type Decoded } from '../../util/decoded.js';
import type { LargeCommunity } from '../messages/attributes.js';

export interface Route {
  /** "198.51.100.10/32", "2001:db8::10/128", or an aggregate such as "198.51.100.0/24". */
  readonly prefix: string;
  /** Default: this end's address of the BGP connection, when it is of the route's family. */
  readonly nextHop?: string;
  /** Sent to internal peers only (RFC 4271 5.1.5); default 100 there. */
  readonly localPref?: number;
  readonly med?: number;
  /** "65535:65281", or the RFC 1997 names "no-export", "no-advertise", "no-export-subconfed", and "no-peer" (RFC 3765). */
  readonly communities?: readonly string[];
  /** "65001:1:2" (RFC 8092). */
  readonly largeCommunities?: readonly string[];
}

export interface NormalizedRoute {
  readonly key: string;
  readonly prefix: Prefix;
  readonly nextHop?: IP;
  readonly localPref?: number;
  readonly med?: number;
  readonly communities: readonly number[];
  readonly largeCommunities: readonly LargeCommunity[];
}

const wellKnown: Record<string, number> = {
  'no-export': 0xffffff01,
  'no-advertise': 0xffffff02,
  'no-export-subconfed': 0xffffff03,
  'no-peer': 0xffffff04,
};

const u32 = (s: string): number | undefined => (/^\d{1,10}$/.test(s) && Number(s) <= 0xffffffff ? Number(s) : undefined);
const u16 = (s: string): number | undefined => (/^\d{1,5}$/.test(s) && Number(s) <= 0xffff ? Number(s) : undefined);

export function parseCommunity(s: string): number | undefined {
  const named = wellKnown[s.toLowerCase()];
  if (named !== undefined) return named;
  const parts = s.split(':');
  if (parts.length !== 2) return undefined;
  const hi = u16(parts[0]!);
  const lo = u16(parts[1]!);
  return hi === undefined || lo === undefined ? undefined : hi * 0x10000 + lo;
}

export function formatCommunity(c: number): string {
  return `${Math.floor(c / 0x10000)}:${c & 0xffff}`;
}

export function parseLargeCommunity(s: string): LargeCommunity | undefined {
  const parts = s.split(':');
  if (parts.length !== 3) return undefined;
  const [global, local1, local2] = parts.map(u32);
  return global === undefined || local1 === undefined || local2 === undefined ? undefined : { global, local1, local2 };
}

export function formatLargeCommunity(c: LargeCommunity): string {
  return `${c.global}:${c.local1}:${c.local2}`;
}

const isU32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

export function normalizeRoute(r: Route): Decoded<NormalizedRoute, string> {
  const parsed = parsePrefix(r.prefix);
  if (!parsed.ok) return refused(parsed.reason);
  const prefix = parsed.prefix;
  const key = formatPrefix(prefix);
  let nextHop: IP | undefined;
  if (r.nextHop !== undefined) {
    nextHop = parseIP(r.nextHop);
    if (!nextHop) return refused(`${key}: next hop "${r.nextHop}" is not an IP address`);
  }
  if (r.localPref !== undefined && !isU32(r.localPref)) return refused(`${key}: localPref ${r.localPref} is not a 32-bit unsigned integer`);
  if (r.med !== undefined && !isU32(r.med)) return refused(`${key}: med ${r.med} is not a 32-bit unsigned integer`);
  // Bounds that keep any route's attributes well inside one 4096-octet UPDATE.
  if ((r.communities?.length ?? 0) > 200) return refused(`${key}: more than 200 communities`);
  if ((r.largeCommunities?.length ?? 0) > 100) return refused(`${key}: more than 100 large communities`);
  const communities = new Set<number>();
  for (const c of r.communities ?? []) {
    const v = parseCommunity(c);
    if (v === undefined) return refused(`${key}: community "${c}" is not AS:value with 16-bit parts or a well-known name`);
    communities.add(v);
  }
  const large = new Map<string, LargeCommunity>();
  for (const c of r.largeCommunities ?? []) {
    const v = parseLargeCommunity(c);
    if (!v) return refused(`${key}: large community "${c}" is not global:local1:local2 with 32-bit parts`);
    large.set(formatLargeCommunity(v), v);
  }
  return decoded({
    key,
    prefix,
    ...(nextHop !== undefined ? { nextHop } : {}),
    ...(r.localPref !== undefined ? { localPref: r.localPref } : {}),
    ...(r.med !== undefined ? { med: r.med } : {}),
    communities: [...communities].sort((a, b) => a - b),
    largeCommunities: [...large.values()].sort((a, b) => a.global - b.global || a.local1 - b.local1 || a.local2 - b.local2),
  });
}

/** Normalizes a list; a prefix listed twice keeps its first entry and is reported. */
export function normalizeRoutes(routes: readonly Route[]): { routes: Map<string, NormalizedRoute>; errors: string[] } {
  const out = new Map<string, NormalizedRoute>();
  const errors: string[] = [];
  for (const r of routes) {
    const n = normalizeRoute(r);
    if (!n.ok) errors.push(n.error);
    else if (out.has(n.value.key)) errors.push(`${n.value.key}: listed more than once; the first entry is used`);
    else out.set(n.value.key, n.value);
  }
  return { routes: out, errors };
}
