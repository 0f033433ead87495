// shoal against BIRD 2 and GoBGP in namespaces: the session comes up, the
// routes arrive with the right next hop, local preference and communities,
// and go on withdraw. shoal dials in both cases: GoBGP waits 7 to 9 s
// before its own first connect.

import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetLab, netlabUnavailable, waitFor } from '../support/netlab.js';
import { Bird } from './lab/bird.js';
import { GoBgp, gobgpToml } from './lab/gobgp.js';
import { ShoalNode } from './lab/shoal-node.js';

const why = netlabUnavailable();

const routes = {
  r1: [
    { prefix: '198.51.100.10/32', communities: ['65001:100'], largeCommunities: ['65001:1:2'] },
    { prefix: '2001:db8:ffff::10/128', nextHop: '2001:db8::11' },
  ],
};

t.test('BIRD 2: eBGP and iBGP', { skip: why ?? false }, async (t) => {
  const lab = await NetLab.create('bb');
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bgp-'));
  let bird: Bird | undefined;
  try {
    await lab.host({ name: 'r1', addrs: ['192.0.2.1/24', '2001:db8::1/64'] });
    await lab.host({ name: 'n1', addrs: ['192.0.2.11/24', '2001:db8::11/64'] });
    await lab.host({ name: 'n2', addrs: ['192.0.2.12/24', '2001:db8::12/64'] });
    bird = await Bird.start(
      lab,
      'r1',
      `router id 192.0.2.1;
log stderr all;
protocol device {}
template bgp node {
  local 192.0.2.1 as 65000;
  hold time 3; keepalive time 1;
  connect delay time 1; error wait time 1, 5;
}
protocol bgp n1 from node {
  local 192.0.2.1 port 1179 as 65000;
  neighbor 192.0.2.11 as 65001;
  passive on;
  ipv4 { import all; export none; };
  ipv6 { import all; export none; };
}
protocol bgp n2 from node {
  neighbor 192.0.2.12 as 65000;
  direct;
  ipv4 { import all; export none; };
}
`,
    );
    // BIRD listens for n1 on port 1179: the peer port option.
    const n1 = await ShoalNode.start(lab, 'n1', { peers: [{ name: 'r1', peerAddress: '192.0.2.1', peerPort: 1179, peerAsn: 65000, localAsn: 65001, routerId: '192.0.2.11' }], routes }, dir);
    await ShoalNode.start(
      lab,
      'n2',
      { peers: [{ name: 'r1', peerAddress: '192.0.2.1', peerAsn: 65000, localAsn: 65000, routerId: '192.0.2.12' }], routes: { r1: [{ prefix: '198.51.100.20/32', localPref: 250, communities: ['no-export'] }] } },
      dir,
    );
    await waitFor(async () => (await bird!.protocolState('n1')) === 'Established', 60_000, 'BIRD n1 Established', 100);
    await waitFor(async () => (await bird!.protocolState('n2')) === 'Established', 60_000, 'BIRD n2 Established', 100);
    const v4 = await waitFor(() => bird!.route('198.51.100.10/32'), 45_000, 'route in BIRD', 100);
    t.match(v4, { nextHop: '192.0.2.11', communities: ['65001:100'], largeCommunities: ['65001:1:2'] });
    const v6 = await waitFor(() => bird!.route('2001:db8:ffff::10/128'), 45_000, 'IPv6 route in BIRD', 100);
    t.equal(v6.nextHop, '2001:db8::11');
    const ibgp = await waitFor(() => bird!.route('198.51.100.20/32'), 45_000, 'iBGP route in BIRD', 100);
    t.match(ibgp, { nextHop: '192.0.2.12', localPref: 250, communities: ['65535:65281'] });
    await n1.setRoutes({});
    await waitFor(async () => (await bird!.route('198.51.100.10/32')) === undefined && (await bird!.route('2001:db8:ffff::10/128')) === undefined, 45_000, 'withdraws reach BIRD', 100);
    t.pass('withdrawn');
  } finally {
    await lab.destroy();
    bird?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

t.test('GoBGP: eBGP and iBGP', { skip: why ?? false }, async (t) => {
  const lab = await NetLab.create('bg');
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bgp-'));
  let gobgp: GoBgp | undefined;
  try {
    await lab.host({ name: 'r1', addrs: ['192.0.2.1/24', '2001:db8::1/64'] });
    await lab.host({ name: 'n1', addrs: ['192.0.2.11/24', '2001:db8::11/64'] });
    await lab.host({ name: 'n2', addrs: ['192.0.2.12/24', '2001:db8::12/64'] });
    gobgp = await GoBgp.start(
      lab,
      'r1',
      gobgpToml(65000, '192.0.2.1', [
        { address: '192.0.2.11', as: 65001, timers: ['hold-time = 9', 'keepalive-interval = 3'] },
        { address: '192.0.2.12', as: 65000, timers: ['hold-time = 9', 'keepalive-interval = 3'] },
      ]),
    );
    const n1 = await ShoalNode.start(lab, 'n1', { peers: [{ name: 'r1', peerAddress: '192.0.2.1', peerAsn: 65000, localAsn: 65001, routerId: '192.0.2.11' }], routes }, dir);
    await ShoalNode.start(
      lab,
      'n2',
      { peers: [{ name: 'r1', peerAddress: '192.0.2.1', peerAsn: 65000, localAsn: 65000, routerId: '192.0.2.12' }], routes: { r1: [{ prefix: '198.51.100.20/32', localPref: 250, largeCommunities: ['65000:5:6'] }] } },
      dir,
    );
    const v4 = await waitFor(async () => (await gobgp!.paths('198.51.100.10/32'))[0], 60_000, 'route in GoBGP', 100);
    t.equal(v4.nexthop, '192.0.2.11');
    const attrs = JSON.stringify(v4.attrs);
    t.match(attrs, /"communities":\[4259905636\]/, 'community 65001:100');
    t.match(attrs, /"ASN":65001,"LocalData1":1,"LocalData2":2/, 'large community 65001:1:2');
    const v6 = await waitFor(async () => (await gobgp!.paths('2001:db8:ffff::10/128'))[0], 45_000, 'IPv6 route in GoBGP', 100);
    t.equal(v6.nexthop, '2001:db8::11');
    const ibgp = await waitFor(async () => (await gobgp!.paths('198.51.100.20/32'))[0], 45_000, 'iBGP route in GoBGP', 100);
    t.equal(ibgp.nexthop, '192.0.2.12');
    t.match(JSON.stringify(ibgp.attrs), /"type":5,"value":250/, 'LOCAL_PREF 250');
    await n1.setRoutes({});
    await waitFor(async () => (await gobgp!.paths('198.51.100.10/32')).length === 0 && (await gobgp!.paths('2001:db8:ffff::10/128')).length === 0, 45_000, 'withdraws reach GoBGP', 100);
    t.pass('withdrawn');
  } finally {
    await lab.destroy();
    gobgp?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
