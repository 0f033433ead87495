// BGP community text: standard RFC 1997 "65535:65282" (two 16-bit halves)
// and large RFC 8092 "large:1:2:3" (three 32-bit parts), as MetalLB writes
// them. Anything else in a BGPAdvertisement must be the name of an alias
// defined in a Community object.

import type { Community } from './model.js';

const DECIMAL = /^(0|[1-9][0-9]*)$/;

export type CommunityParse =
  | { ok: true; community: Community }
  /** `alias` is true when the text is not community syntax at all, so it may name an alias. */
  | { ok: false; alias: boolean; reason: string };

export function parseCommunity(text: string): CommunityParse {
  const fs = text.split(':');
  const part = (s: string, max: number): number | undefined => {
    if (!DECIMAL.test(s)) return undefined;
    const n = Number(s);
    return n <= max ? n : undefined;
  };
  if (fs.length === 2) {
    const hi = part(fs[0] as string, 0xffff);
    const lo = part(fs[1] as string, 0xffff);
    if (hi === undefined || lo === undefined) {
      return { ok: false, alias: false, reason: `${JSON.stringify(text)} is not a community: each half must be 0 to 65535` };
    }
    return { ok: true, community: { kind: 'standard', value: hi * 65536 + lo, text: `${hi}:${lo}` } };
  }
  if (fs.length === 4) {
    if (fs[0] !== 'large') {
      return { ok: false, alias: false, reason: `${JSON.stringify(text)} is not a community: a large community is written large:<global>:<local1>:<local2>` };
    }
    const [g, l1, l2] = [part(fs[1] as string, 0xffffffff), part(fs[2] as string, 0xffffffff), part(fs[3] as string, 0xffffffff)];
    if (g === undefined || l1 === undefined || l2 === undefined) {
      return { ok: false, alias: false, reason: `${JSON.stringify(text)} is not a community: each part must be 0 to 4294967295` };
    }
    return { ok: true, community: { kind: 'large', global: g, local1: l1, local2: l2, text: `large:${g}:${l1}:${l2}` } };
  }
  return { ok: false, alias: true, reason: `${JSON.stringify(text)} is not a community (want 65535:65282 or large:1:2:3)` };
}
