// IPAddressPool status as MetalLB's controller keeps it: assignedIPv4,
// assignedIPv6, availableIPv4, availableIPv6 (api/v1beta1, int64 fields).
// Counts are exact up to 2^53 - 1; a larger IPv6 pool (a /64 holds 2^64)
// reports that bound, the largest integer a JSON number carries exactly.

import type { PoolUsage } from '../alloc/index.js';
import { ipAddressPools } from '../kube/resources.js';
import type { DesiredStatusObject } from '../kube/status-objects.js';

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);
const count = (v: bigint): number => Number(v > MAX_EXACT ? MAX_EXACT : v);

/** Writer key -> the status each pool object should carry. */
export function poolStatuses(namespace: string, usage: readonly PoolUsage[]): Map<string, DesiredStatusObject> {
  const out = new Map<string, DesiredStatusObject>();
  for (const u of usage) {
    out.set(`pool:${u.pool}`, {
      type: ipAddressPools,
      namespace,
      name: u.pool,
      owned: false,
      status: {
        assignedIPv4: count(u.ipv4.assigned),
        assignedIPv6: count(u.ipv6.assigned),
        availableIPv4: count(u.ipv4.available),
        availableIPv6: count(u.ipv6.available),
      },
    });
  }
  return out;
}
