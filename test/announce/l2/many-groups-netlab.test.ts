// A node announcing thousands of IPv6 addresses joins every one's
// solicited-node group, past the few thousand memberships one socket's
// option memory holds (net.core.optmem_max), and leaves them on release.
import t from 'tap';

import { NetLab, netlabUnavailable } from '../../support/netlab.js';
import { Harness } from './harness-client.js';

const why = netlabUnavailable();
const COUNT = 6000;

/** Solicited-node groups the kernel lists on host's eth0. */
async function solicitedGroups(lab: NetLab, host: string): Promise<Set<string>> {
  const out = await lab.ip(lab.ns(host), 'maddr', 'show', 'dev', 'eth0');
  return new Set(out.split('\n').map((l) => l.trim().split(/\s+/)[1] ?? '').filter((g) => g.startsWith('ff02::1:ff')));
}

t.test(`${COUNT} IPv6 addresses: every solicited-node group joined, then left`, { skip: why ?? false }, async (t) => {
  const lab = await NetLab.create('mg');
  t.teardown(() => lab.destroy());
  await lab.host({ name: 'n1', addrs: ['2001:db8::11/64'], mac: '02:00:00:00:00:11' });
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
  const missing = [...expected].filter((g) => !joined.has(g));
  t.equal(missing.length, 0, `every group is joined (missing: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''})`);
  t.same(
    h.events.filter((e) => e.event === 'error'),
    [],
    'no membership errors reported',
  );

  await h.command({ op: 'set', desired: {} }, 60_000);
  t.equal((await solicitedGroups(lab, 'n1')).size, before, 'releasing them leaves every group again');
  await h.stop();
});
