// Builders and the invariant check shared by the allocator tests.
import type { Allocator } from '../../src/alloc/allocator.js';
import { isBuggyIPv4 } from '../../src/alloc/buggy.js';
import { parseIP, rangeContains } from '../../src/net/index.js';
import type { ServiceInput } from '../../src/alloc/service.js';
import { parseObjects } from '../../src/config/index.js';
import type { Pool } from '../../src/config/index.js';

export function pools(specs: Record<string, Record<string, unknown>>): Pool[] {
  const r = parseObjects(
    Object.entries(specs).map(([name, spec]) => ({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: 'metallb-system' }, spec })),
  );
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return [...r.config.pools];
}

export type SvcOpts = Partial<Omit<ServiceInput, 'name'>> & { share?: string; pool?: string; ips?: string };

/** An IPv4 single-stack LoadBalancer on TCP/80 unless told otherwise. */
export function svc(name: string, o: SvcOpts = {}): ServiceInput {
  const { share, pool, ips, ...rest } = o;
  const annotations: Record<string, string> = { ...(o.annotations ?? {}) };
  if (share !== undefined) annotations['metallb.io/allow-shared-ip'] = share;
  if (pool !== undefined) annotations['metallb.io/address-pool'] = pool;
  if (ips !== undefined) annotations['metallb.io/loadBalancerIPs'] = ips;
  return { namespace: 'default', type: 'LoadBalancer', ipFamilies: ['IPv4'], ports: [{ port: 80 }], ...rest, name, annotations };
}

export interface Check {
  ok(v: unknown, msg?: string): void;
  fail(msg: string): void;
}

/** Returns the list of violated invariants (empty when all hold). */
export function violations(a: Allocator, ps: readonly Pool[], inputs: ReadonlyMap<string, ServiceInput>): string[] {
  const out: string[] = [];
  const byIP = new Map<string, string[]>();
  for (const al of a.list()) {
    const pool = ps.find((p) => p.name === al.pool);
    if (!pool) out.push(`${al.service}: pool ${al.pool} does not exist`);
    if (al.ips.length < 1 || al.ips.length > 2) out.push(`${al.service}: ${al.ips.length} addresses`);
    const fams = al.ips.map((s) => parseIP(s)?.family);
    if (fams.length === 2 && fams[0] === fams[1]) out.push(`${al.service}: two addresses of one family`);
    const input = inputs.get(al.service);
    const wantFams = (input?.ipFamilies ?? []).map((f) => (f === 'IPv4' ? 4 : 6));
    for (const s of al.ips) {
      const ip = parseIP(s);
      if (!ip) {
        out.push(`${al.service}: bad address ${s}`);
        continue;
      }
      if (pool && !pool.ranges.some((r) => rangeContains(r, ip))) out.push(`${al.service}: ${s} outside pool ${pool.name}`);
      if (pool?.avoidBuggyIPs && isBuggyIPv4(ip)) out.push(`${al.service}: buggy ${s} from an avoid-buggy pool`);
      if (input && !wantFams.includes(ip.family)) out.push(`${al.service}: ${s} is not of the service's families`);
      byIP.set(s, [...(byIP.get(s) ?? []), al.service]);
    }
  }
  for (const [ip, holders] of byIP) {
    if (a.holders(ip).join() !== [...holders].sort().join()) out.push(`${ip}: holders() disagrees with list()`);
    if (holders.length < 2) continue;
    const als = holders.map((h) => a.get(h));
    const keys = new Set(als.map((x) => `${x?.sharingKey}\0${x?.backendKey}`));
    if (keys.size !== 1 || als.some((x) => !x?.sharingKey)) out.push(`${ip}: shared by ${holders.join(', ')} without one common sharing key`);
    const ports = als.flatMap((x) => x?.ports ?? []);
    if (new Set(ports).size !== ports.length) out.push(`${ip}: port collision among ${holders.join(', ')}`);
  }
  for (const u of a.usage()) {
    for (const f of [4, 6] as const) {
      const fu = f === 4 ? u.ipv4 : u.ipv6;
      const distinct = [...byIP.keys()].filter((s) => parseIP(s)?.family === f && a.list().some((al) => al.pool === u.pool && al.ips.includes(s))).length;
      if (fu.assigned !== BigInt(distinct)) out.push(`${u.pool}: IPv${f} assigned ${fu.assigned}, counted ${distinct}`);
      if (fu.available !== fu.total - fu.assigned) out.push(`${u.pool}: IPv${f} available does not add up`);
    }
  }
  return out;
}
