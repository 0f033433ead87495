// What AnnouncementStatus hands the status writer on each reconcile: every
// service's object the first time, then only those that changed (the
// writer itself is tested against the API double in
// test/kube/status-objects.test.ts).

import t from 'tap';
import type { V1Pod } from '@kubernetes/client-node';
import type { DesiredStatusObject, StatusObjectWriter } from '../../src/kube/status-objects.js';
import { AnnouncementStatus, statusKey, type AnnouncedServices } from '../../src/speaker/announcement-status.js';
import { desiredStatuses } from '../support/announcement-status.js';
import { silentLogger } from '../../src/util/log.js';
import type { Wire } from '../../src/kube/wire.js';

const NS = 'metallb-system';

/** A writer that records what it is given, and the last object per key. */
function recordingWriter(): { writer: StatusObjectWriter; given: [string, DesiredStatusObject | undefined][]; last: Map<string, DesiredStatusObject>; releases: number } {
  const rec = { given: [] as [string, DesiredStatusObject | undefined][], last: new Map<string, DesiredStatusObject>(), releases: 0 };
  const writer = {
    set(key: string, desired: DesiredStatusObject | undefined) {
      rec.given.push([key, desired]);
      if (desired) rec.last.set(key, desired);
      else rec.last.delete(key);
    },
    releaseAdopted() {
      rec.releases++;
    },
  } as unknown as StatusObjectWriter;
  return Object.assign(rec, { writer });
}

/** 100 layer-2 services on every interface and one BGP service, as fresh arrays (a reconcile builds new ones). */
const announced = (ifacesOf7: string[] = []): AnnouncedServices => ({
  l2: new Map(Array.from({ length: 100 }, (_, i) => [`default/svc-${i}`, i === 7 ? [...ifacesOf7] : []])),
  bgp: new Map([['web/front', ['router-a', 'router-b']]]),
});

t.test('each update hands the writer only the objects that differ from the last ones it was given', async (t) => {
  const w = recordingWriter();
  let pod: Wire<V1Pod> | undefined;
  const pub = new AnnouncementStatus({ node: 'node-a', namespace: NS, writer: w.writer, pod: () => pod, logger: silentLogger });

  pub.update(announced());
  t.equal(w.given.length, 101, 'first update: every object');
  t.same(w.last, desiredStatuses('node-a', NS, undefined, announced()), 'the objects desiredStatuses describes');
  t.equal(w.releases, 1, 'adopted objects released after the first update');

  w.given.length = 0;
  pub.update(announced());
  t.same(w.given, [], 'the same services again (new arrays, same content): nothing');

  pub.update(announced(['eth1']));
  t.same(w.given.map(([k]) => k), [statusKey('l2', 'default/svc-7')], 'one service now on one interface: that one');
  t.same(w.last.get(statusKey('l2', 'default/svc-7'))?.status, { node: 'node-a', serviceName: 'svc-7', serviceNamespace: 'default', interfaces: [{ name: 'eth1' }] });

  w.given.length = 0;
  const l2 = new Map(announced(['eth1']).l2);
  l2.delete('default/svc-3');
  const fewer = { l2, bgp: announced().bgp };
  pub.update(fewer);
  t.same(w.given, [[statusKey('l2', 'default/svc-3'), undefined]], 'a service no longer announced: its object goes');

  w.given.length = 0;
  pub.update(fewer);
  t.same(w.given, [], 'and is not named again');

  pub.update(announced(['eth1']));
  t.same(w.given.map(([k, d]) => [k, d !== undefined]), [[statusKey('l2', 'default/svc-3'), true]], 'announced again: built again');

  w.given.length = 0;
  pod = { metadata: { name: 'speaker-x', uid: 'u-1' } };
  pub.update(announced(['eth1']));
  t.equal(w.given.length, 101, 'the owner Pod known now: every object gets its owner reference');
  t.same(w.last, desiredStatuses('node-a', NS, { apiVersion: 'v1', kind: 'Pod', name: 'speaker-x', uid: 'u-1' }, announced(['eth1'])));

  w.given.length = 0;
  pod = { metadata: { name: 'speaker-x', uid: 'u-1' } };
  pub.update(announced(['eth1']));
  t.same(w.given, [], 'the same Pod again, a new object: nothing');

  pub.update({ l2: new Map(), bgp: new Map() });
  t.equal(w.given.length, 101, 'nothing announced: every object goes');
  t.equal(w.last.size, 0);
});
