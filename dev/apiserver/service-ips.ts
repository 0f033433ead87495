// Cluster IP and node port bookkeeping for Services, as the real API server
// keeps it: each ClusterIP Service gets an address from a service CIDR per IP
// family, each NodePort / LoadBalancer port a node port from 30000-32767.

import { familyFromName, familyName, formatIP, parseIP, parseRange, rangeSize, type Family, type FamilyName, type IP, type IPRange } from '../../src/net/index.js';

class CidrPool {
  readonly family: Family;
  /** The host addresses: the network address and the IPv4 broadcast address are never handed out. */
  private readonly hosts: IPRange;
  private readonly used = new Set<bigint>();

  constructor(readonly cidr: string) {
    const r = cidr.includes('/') ? parseRange(cidr) : undefined;
    if (!r?.ok || rangeSize(r.range) < 4n) throw new Error(`bad service CIDR "${cidr}"`);
    const { family, first, last } = r.range;
    this.family = family;
    this.hosts = { family, first: first + 1n, last: family === 4 ? last - 1n : last };
  }

  contains(ip: IP): boolean {
    return ip.family === this.family && ip.value >= this.hosts.first && ip.value <= this.hosts.last;
  }

  take(ip: IP): boolean {
    if (!this.isFree(ip)) return false;
    this.used.add(ip.value);
    return true;
  }

  /** The lowest free host address. */
  next(): string | undefined {
    for (let v = this.hosts.first; v <= this.hosts.last; v++) {
      if (!this.used.has(v)) {
        this.used.add(v);
        return formatIP({ family: this.family, value: v });
      }
    }
    return undefined;
  }

  release(ip: IP): void {
    this.used.delete(ip.value);
  }

  isFree(ip: IP): boolean {
    return this.contains(ip) && !this.used.has(ip.value);
  }
}

export const nodePortMin = 30000;
export const nodePortMax = 32767;

export class ServiceAllocator {
  private readonly pools = new Map<Family, CidrPool>();
  /** The families in CIDR order, as Kubernetes names them: the first is the cluster's default family. */
  readonly families: FamilyName[] = [];
  private readonly ports = new Set<number>();

  constructor(serviceCidrs: readonly string[]) {
    if (serviceCidrs.length === 0 || serviceCidrs.length > 2) throw new Error('one or two service CIDRs are needed');
    for (const c of serviceCidrs) {
      const p = new CidrPool(c);
      if (this.pools.has(p.family)) throw new Error(`two service CIDRs of family ${familyName(p.family)}`);
      // The first address belongs to the "kubernetes" Service on a real cluster.
      p.next();
      this.pools.set(p.family, p);
      this.families.push(familyName(p.family));
    }
  }

  /** Why `ip` cannot be taken, or undefined after taking it. */
  takeIp(text: string): string | undefined {
    const ip = parseIP(text);
    const pool = ip && this.pools.get(ip.family);
    if (!pool) return `no service CIDR of the family of ${text} is configured`;
    if (!pool.take(ip)) return pool.contains(ip) ? 'provided IP is already allocated' : `provided IP is not in the valid range (${pool.cidr})`;
    return undefined;
  }

  nextIp(family: FamilyName): string | undefined {
    const f = familyFromName(family);
    return f && this.pools.get(f)?.next();
  }

  releaseIp(text: string): void {
    const ip = parseIP(text);
    if (ip) this.pools.get(ip.family)?.release(ip);
  }

  takePort(port: number): string | undefined {
    if (!Number.isInteger(port) || port < nodePortMin || port > nodePortMax) {
      return `provided port is not in the valid range. The range of valid ports is ${nodePortMin}-${nodePortMax}`;
    }
    if (this.ports.has(port)) return 'provided port is already allocated';
    this.ports.add(port);
    return undefined;
  }

  nextPort(): number | undefined {
    for (let p = nodePortMin; p <= nodePortMax; p++) {
      if (!this.ports.has(p)) {
        this.ports.add(p);
        return p;
      }
    }
    return undefined;
  }

  releasePort(port: number): void {
    this.ports.delete(port);
  }
}
