// shoal against FRR in namespaces: sessions, attributes, withdraws, ECMP
// through the kernel, MD5, and withdraw timing with and without BFD.

import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetLab, netlabUnavailable, waitFor } from '../support/netlab.js';
import { Frr } from './lab/frr.js';
import { ShoalNode } from './lab/shoal-node.js';

const why = netlabUnavailable();

const routerConf = (extra = ''): string => `frr defaults traditional
hostname r1
log stdout informational
!
router bgp 65000
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 no bgp network import-check
 bgp bestpath as-path multipath-relax
 neighbor NODES peer-group
 neighbor NODES remote-as external
 neighbor NODES timers 1 3
 bgp listen range 192.0.2.0/24 peer-group NODES
 neighbor NODES6 peer-group
 neighbor NODES6 remote-as external
 neighbor NODES6 timers 1 3
 bgp listen range 2001:db8::/64 peer-group NODES6
${extra}
 address-family ipv4 unicast
  neighbor NODES activate
  maximum-paths 8
  maximum-paths ibgp 8
 exit-address-family
 address-family ipv6 unicast
  neighbor NODES activate
  neighbor NODES6 activate
  maximum-paths 8
 exit-address-family
!
`;

t.test('FRR: eBGP and iBGP sessions, next hops, local preference, communities, withdraw, MD5', { skip: why ?? false }, async (t) => {
  const lab = await NetLab.create('bf');
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bgp-'));
  let frr: Frr | undefined;
  try {
    await lab.host({ name: 'r1', addrs: ['192.0.2.1/24', '2001:db8::1/64'] });
    await lab.host({ name: 'n1', addrs: ['192.0.2.11/24', '192.0.2.111/24', '2001:db8::11/64'] });
    await lab.host({ name: 'n2', addrs: ['192.0.2.12/24', '2001:db8::12/64'] });
    await lab.host({ name: 'n3', addrs: ['192.0.2.13/24'] });
    await lab.host({ name: 'n4', addrs: ['192.0.2.14/24'] });
    frr = await Frr.start(
      lab,
      'r1',
      // FRR dials the passive n2. Its first attempt can come before n2
      // listens (a loaded machine starts processes slowly), and FRR's default
      // connect-retry would then wait 120 s: retry every second instead.
      routerConf(` neighbor 192.0.2.12 remote-as 65000
 neighbor 192.0.2.12 timers 1 3
 neighbor 192.0.2.12 timers connect 1
 neighbor 192.0.2.13 remote-as 65001
 neighbor 192.0.2.13 password s3cret-key
 neighbor 192.0.2.14 remote-as 65001
 neighbor 192.0.2.14 password s3cret-key
 address-family ipv4 unicast
  neighbor 192.0.2.12 activate
  neighbor 192.0.2.13 activate
  neighbor 192.0.2.14 activate
 exit-address-family
 address-family ipv6 unicast
  neighbor 192.0.2.12 activate
 exit-address-family`),
    );
    const n1 = await ShoalNode.start(
      lab,
      'n1',
      {
        peers: [
          { name: 'r1', peerAddress: '192.0.2.1', sourceAddress: '192.0.2.111', peerAsn: 65000, localAsn: 65001, routerId: '192.0.2.11', holdTimeSeconds: 9 },
          { name: 'r1-v6', peerAddress: '2001:db8::1', peerAsn: 65000, localAsn: 65001, routerId: '192.0.2.11', families: [6] },
        ],
        routes: {
          r1: [
            { prefix: '198.51.100.10/32', communities: ['65001:100', 'no-export'], largeCommunities: ['65001:1:2'] },
            { prefix: '2001:db8:ffff::10/128', nextHop: '2001:db8::11', largeCommunities: ['65001:3:4'] },
          ],
          'r1-v6': [{ prefix: '2001:db8:ffff::20/128' }],
        },
      },
      dir,
    );
    const n2 = await ShoalNode.start(
      lab,
      'n2',
      {
        peers: [{ name: 'r1', peerAddress: '192.0.2.1', peerAsn: 65000, localAsn: 65000, routerId: '192.0.2.12', holdTimeSeconds: 9, passive: true }],
        routes: { r1: [{ prefix: '198.51.100.20/32', localPref: 250, communities: ['65000:7'] }] },
      },
      dir,
    );
    const md5Peer = (routerId: string, password: string) => ({
      peers: [{ name: 'r1', peerAddress: '192.0.2.1', peerAsn: 65000, localAsn: 65001, routerId, password, connectTimeoutMs: 1500 }],
      routes: { r1: [{ prefix: `198.51.100.${routerId.split('.')[3]}/32` }] },
    });
    const n3 = await ShoalNode.start(lab, 'n3', md5Peer('192.0.2.13', 's3cret-key'), dir);
    const n4 = await ShoalNode.start(lab, 'n4', md5Peer('192.0.2.14', 'wrong-key'), dir);
    await frr.waitEstablished('192.0.2.111');
    await frr.waitEstablished('2001:db8::11');
    await frr.waitEstablished('192.0.2.12');

    const v4 = await waitFor(() => frr!.route('198.51.100.10/32'), 45_000, 'eBGP IPv4 route in FRR');
    t.same(v4.nexthops, ['192.0.2.111'], 'eBGP next hop is the source address the session uses');
    t.equal(v4.communities, '65001:100 no-export');
    t.equal(v4.largeCommunities, '65001:1:2');
    const v6 = await waitFor(() => frr!.route('2001:db8:ffff::10/128'), 45_000, 'IPv6 route in FRR');
    t.same(v6.nexthops, ['2001:db8::11'], 'IPv6 next hop from MP_REACH_NLRI');
    t.equal(v6.largeCommunities, '65001:3:4');
    const ibgp = await waitFor(() => frr!.route('198.51.100.20/32'), 45_000, 'iBGP route in FRR');
    t.same(ibgp.nexthops, ['192.0.2.12']);
    t.equal(ibgp.localPref, 250, 'LOCAL_PREF over iBGP');
    t.equal(ibgp.communities, '65000:7');
    t.same(await frr.kernelNexthops('198.51.100.10'), ['192.0.2.111'], 'installed in the router kernel');
    const overV6 = await waitFor(() => frr!.route('2001:db8:ffff::20/128'), 45_000, 'route over the IPv6 session');
    t.same(overV6.nexthops, ['2001:db8::11'], 'IPv6 session: the session address is the next hop');

    const [s1, s1v6] = await n1.status();
    t.match(s1, { state: 'Established', peerAsn: 65000, ibgp: false, holdTimeSeconds: 3, families: ['ipv4', 'ipv6'], prefixesSent: 2, localAddress: '192.0.2.111' });
    t.match(s1v6, { state: 'Established', families: ['ipv6'], prefixesSent: 1, localAddress: '2001:db8::11' });
    const [s2] = await n2.status();
    t.match(s2, { state: 'Established', ibgp: true, prefixesSent: 1 }, 'the passive node was dialled by FRR');

    await n1.setRoutes({ r1: [{ prefix: '2001:db8:ffff::10/128', nextHop: '2001:db8::11' }], 'r1-v6': [{ prefix: '2001:db8:ffff::20/128' }] });
    await waitFor(async () => (await frr!.route('198.51.100.10/32')) === undefined, 45_000, 'IPv4 withdraw reaches FRR');
    t.ok(await frr.route('2001:db8:ffff::10/128'), 'the other route stays');
    await n1.setRoutes({});
    await waitFor(async () => (await frr!.route('2001:db8:ffff::10/128')) === undefined, 45_000, 'IPv6 withdraw reaches FRR');

    await frr.waitEstablished('192.0.2.13');
    t.ok(await waitFor(() => frr!.route('198.51.100.13/32'), 45_000, 'route over the MD5 session'), 'MD5 session with the right key carries routes');
    // Several connect attempts from both sides with the wrong key: wait for
    // shoal to count two failed ones (a fixed 4 s held fewer on a loaded
    // machine), then at least the 4 s the check always gave FRR.
    const wrongKeySince = Date.now();
    const [s4] = await waitFor(async () => {
      const st = await n4.status();
      return (st[0]?.failures ?? 0) >= 2 && st;
    }, 45_000, 'shoal to fail twice to reach FRR with the wrong key');
    await new Promise((r) => setTimeout(r, Math.max(0, 4000 - (Date.now() - wrongKeySince))));
    t.not((await frr.neighbors())['192.0.2.14']?.state, 'Established', 'FRR: no session with the wrong key');
    t.not(s4!.state, 'Established', 'shoal: no session with the wrong key');
    t.not((await n4.status())[0]?.state, 'Established', 'shoal: still no session with the wrong key');
    t.ok(s4!.failures >= 2, `shoal kept failing (${s4!.failures} attempts): ${s4!.lastError?.reason}`);
    t.equal(await frr.route('198.51.100.14/32'), undefined);
    void n3;

    await n2.stop();
    await waitFor(async () => (await frr!.route('198.51.100.20/32')) === undefined, 45_000, 'graceful stop withdraws');
    const nb = await frr.json<Record<string, { lastNotificationReason?: string; lastResetDueTo?: string }>>('show bgp neighbors 192.0.2.12 json');
    t.match(JSON.stringify(nb['192.0.2.12']), /Administrative Shutdown|Administratively shut down|Cease/i, 'FRR saw a Cease');
  } finally {
    await lab.destroy();
    frr?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
