// The whole set of status objects a node should have, built the way the
// speaker builds them one at a time (desiredStatus): the oracle the tests of
// AnnouncementStatus and StatusObjectWriter compare against.
import type { V1OwnerReference } from '@kubernetes/client-node';
import type { DesiredStatusObject } from '../../src/kube/status-objects.js';
import { desiredStatus, statusKey, type AnnouncedServices } from '../../src/speaker/announcement-status.js';

/** The status objects this node should have, by writer key. */
export function desiredStatuses(
  node: string,
  namespace: string,
  owner: V1OwnerReference | undefined,
  services: AnnouncedServices,
): Map<string, DesiredStatusObject> {
  const out = new Map<string, DesiredStatusObject>();
  for (const kind of ['l2', 'bgp'] as const) {
    for (const [service, list] of services[kind]) out.set(statusKey(kind, service), desiredStatus(node, namespace, owner, kind, service, list));
  }
  return out;
}
