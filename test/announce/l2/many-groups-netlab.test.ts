// A node announcing thousands of IPv6 addresses joins their solicited-node
// groups, past the few thousand memberships one socket's option memory holds
// (net.core.optmem_max), up to DEFAULT_MAX_JOINED_GROUPS; past that the
// interface receives all multicast instead (and a solicitation to a group
// past the limit is still answered). Everything is left on release.
import t from 'tap';

import { DEFAULT_MAX_JOINED_GROUPS } from '../../../src/announce/l2/multicast-groups.js';
import { NetLab, netlabUnavailable } from '../../support/netlab.js';
import { Harness } from './harness-client.js';

const why = netlabUnavailable();
const COUNT = 6000;

/** Solicited-node groups the kernel lists on host's eth0. */
async function solicitedGroups(lab: NetLab, host: string): Promise<Set<string>> {
  const out = await lab.ip(lab.ns(host), 'maddr', 'show', 'dev', 'eth0');
  return new Set(out.split('\n').map((l) => l.trim().split(/\s+/)[1] ?? '').filter((g) => g.startsWith('ff02::1:ff')));
}

/** Whether the kernel has host's eth0 receiving all multicast. */
async function allMulticast(lab: NetLab, host: string): Promise<boolean> {
  // The count a PACKET_MR_ALLMULTI membership raises (`ip link` shows only the flag set by hand).
  const out = await lab.ip(lab.ns(host), '-d', 'link', 'show', 'dev', 'eth0');
  const m = / allmulti (\d+)/.exec(out);
  if (!m) throw new Error(`no allmulti count in: ${out}`);
  return Number(m[1]) > 0;
}

t.test(`${COUNT} IPv6 addresses: solicited-node groups joined up to the limit, all-multicast past it, then left`, { skip: why ?? false }, async (t) => {
  const lab = await NetLab.create('mg');
  t.teardown(() => lab.destroy());
  await lab.host({ name: 'n1', addrs: ['2001:db8::11/64'], mac: '02:00:00:00:00:11' });
  await lab.host({ name: 'c1', addrs: ['2001:db8::99/64'] });
  const h = await Harness.start(lab, 'n1', { args: ['--ndp-schedule=0', '--quiet-verdicts'] });

  // 2001:db8:1::1 .. : distinct low 24 bits, so one group each.
  const desired: Record<string, { interfaces: string[] }> = {};
  const expected = new Set<string>();
  for (let i = 1; i <= COUNT; i++) {
    desired[`2001:db8:1::${i.toString(16)}`] = { interfaces: ['eth0'] };
    expected.add(`ff02::1:ff00:${i.toString(16)}`);
  }
  const before = (await solicitedGroups(lab, 'n1')).size;
  await h.command({ op: 'set', desired }, 60_000);
  const joined = await solicitedGroups(lab, 'n1');
  const ours = [...expected].filter((g) => joined.has(g));
  t.equal(ours.length, DEFAULT_MAX_JOINED_GROUPS, `${DEFAULT_MAX_JOINED_GROUPS} groups joined one by one (several sockets' worth)`);
  t.ok(await allMulticast(lab, 'n1'), 'the rest received through all-multicast');
  const last = `2001:db8:1::${COUNT.toString(16)}`;
  // Five tries a second apart: the responder, holding 6,000 addresses, may be slow to answer on a loaded machine.
  const r = await lab.exec('c1', 'ndisc6', ['-1', '-r', '5', '-w', '1000', last, 'eth0'], { allowFail: true });
  t.match(r.stdout.toLowerCase(), /target link-layer address: 02:00:00:00:00:11/, `a solicitation for ${last}, past the limit, is answered`);
  t.same(
    h.events.filter((e) => e.event === 'error'),
    [],
    'no membership errors reported',
  );

  await h.command({ op: 'set', desired: {} }, 60_000);
  t.equal((await solicitedGroups(lab, 'n1')).size, before, 'releasing them leaves every group again');
  t.notOk(await allMulticast(lab, 'n1'), 'and all-multicast');
  await h.stop();
});
