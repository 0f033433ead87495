// Cluster IP and node port bookkeeping for Services, as the real API server
// keeps it: each ClusterIP Service gets an address from a service CIDR per IP
// family, each NodePort / LoadBalancer port a node port from 30000-32767.

import { familyName, formatIP, parseIP } from '../../src/alloc/ip.js';

export type IpFamily = 'IPv4' | 'IPv6';

export function ipToBig(s: string): { family: IpFamily; value: bigint } {
  const ip = parseIP(s);
  if (!ip) throw new Error(`not an IP address: "${s}"`);
  return { family: familyName(ip.family), value: ip.value };
}

export function bigToIp(family: IpFamily, v: bigint): string {
  return formatIP({ family: family === 'IPv4' ? 4 : 6, value: v });
}

export function familyOf(ip: string): IpFamily | undefined {
  const p = parseIP(ip);
  return p ? familyName(p.family) : undefined;
}

class CidrPool {
  readonly family: IpFamily;
  private readonly base: bigint;
  private readonly size: bigint;
  private readonly used = new Set<bigint>();

  constructor(readonly cidr: string) {
    const [addr, len] = cidr.split('/');
    const bits = Number(len);
    const { family, value } = ipToBig(addr ?? '');
    const width = family === 'IPv4' ? 32 : 128;
    if (!Number.isInteger(bits) || bits < 0 || bits > width - 2) throw new Error(`bad service CIDR "${cidr}"`);
    this.family = family;
    this.size = 1n << BigInt(width - bits);
    this.base = value & ~(this.size - 1n);
  }

  contains(v: bigint): boolean {
    return v > this.base && v < this.base + this.size - (this.family === 'IPv4' ? 1n : 0n);
  }

  take(ip: string): boolean {
    const { value } = ipToBig(ip);
    if (!this.contains(value) || this.used.has(value)) return false;
    this.used.add(value);
    return true;
  }

  /** The lowest free host address; the network address and IPv4 broadcast are never handed out. */
  next(): string | undefined {
    const limit = this.size - (this.family === 'IPv4' ? 1n : 0n);
    for (let off = 1n; off < limit; off++) {
      const v = this.base + off;
      if (!this.used.has(v)) {
        this.used.add(v);
        return bigToIp(this.family, v);
      }
    }
    return undefined;
  }

  release(ip: string): void {
    this.used.delete(ipToBig(ip).value);
  }

  isFree(ip: string): boolean {
    const { value } = ipToBig(ip);
    return this.contains(value) && !this.used.has(value);
  }
}

export const nodePortMin = 30000;
export const nodePortMax = 32767;

export class ServiceAllocator {
  private readonly pools = new Map<IpFamily, CidrPool>();
  /** The families in CIDR order: the first is the cluster's default family. */
  readonly families: IpFamily[] = [];
  private readonly ports = new Set<number>();

  constructor(serviceCidrs: readonly string[]) {
    if (serviceCidrs.length === 0 || serviceCidrs.length > 2) throw new Error('one or two service CIDRs are needed');
    for (const c of serviceCidrs) {
      const p = new CidrPool(c);
      if (this.pools.has(p.family)) throw new Error(`two service CIDRs of family ${p.family}`);
      // The first address belongs to the "kubernetes" Service on a real cluster.
      p.next();
      this.pools.set(p.family, p);
      this.families.push(p.family);
    }
  }

  /** Why `ip` cannot be taken, or undefined after taking it. */
  takeIp(ip: string): string | undefined {
    const fam = familyOf(ip);
    const pool = fam ? this.pools.get(fam) : undefined;
    if (!pool) return `no service CIDR of the family of ${ip} is configured`;
    if (!pool.isFree(ip)) {
      return pool.contains(ipToBig(ip).value) ? 'provided IP is already allocated' : `provided IP is not in the valid range (${pool.cidr})`;
    }
    pool.take(ip);
    return undefined;
  }

  nextIp(family: IpFamily): string | undefined {
    return this.pools.get(family)?.next();
  }

  releaseIp(ip: string): void {
    const fam = familyOf(ip);
    if (fam) this.pools.get(fam)?.release(ip);
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
