// Three shoal nodes advertise one service address to FRR: the router's
// kernel gets one multipath route over the three, a client behind the
// router reaches the HTTP server on the address, and cutting links shows
// BFD withdrawing a path long before the hold timer would.

import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetLab, netlabUnavailable, waitFor } from '../support/netlab.js';
import { Frr } from './lab/frr.js';
import { ShoalNode } from './lab/shoal-node.js';
import { clientBehind, serveVip } from './lab/topology.js';

const why = netlabUnavailable();
const VIP = '198.51.100.10';
const nodes = [
  { host: 'n1', addr: '192.0.2.11', bfd: true },
  { host: 'n2', addr: '192.0.2.12', bfd: false },
  { host: 'n3', addr: '192.0.2.13', bfd: true },
];

const bfdConf = `bfd
 profile fast
  transmit-interval 100
  receive-interval 100
  detect-multiplier 3
 !
!
`;

const conf = `frr defaults traditional
hostname r1
log stdout informational
!
router bgp 65000
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 bgp bestpath as-path multipath-relax
 neighbor NODES peer-group
 neighbor NODES remote-as 65001
 neighbor NODES timers 1 3
${nodes.map((n) => ` neighbor ${n.addr} peer-group NODES${n.bfd ? `\n neighbor ${n.addr} bfd profile fast` : ''}`).join('\n')}
 address-family ipv4 unicast
  neighbor NODES activate
  maximum-paths 8
 exit-address-family
!
`;

t.test('ECMP over three nodes, a client reaching the service, BFD against the hold timer', { skip: why ?? false }, async (t) => {
  const lab = await NetLab.create('be');
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bgp-'));
  let frr: Frr | undefined;
  try {
    await lab.host({ name: 'r1', addrs: ['192.0.2.1/24'] });
    for (const n of nodes) await lab.host({ name: n.host, addrs: [`${n.addr}/24`] });
    await clientBehind(lab, 'r1', 'c1', '203.0.113.1/24', '203.0.113.10/24');
    for (const n of nodes) await serveVip(lab, n.host, VIP, '203.0.113.0/24', '192.0.2.1');
    frr = await Frr.start(lab, 'r1', conf, { bfd: bfdConf });
    const shoal = await Promise.all(
      nodes.map((n) =>
        ShoalNode.start(
          lab,
          n.host,
          {
            peers: [
              {
                name: 'r1',
                peerAddress: '192.0.2.1',
                peerAsn: 65000,
                localAsn: 65001,
                routerId: n.addr,
                holdTimeSeconds: 3,
                ...(n.bfd ? { bfd: { receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3 } } : {}),
              },
            ],
            routes: { r1: [{ prefix: `${VIP}/32` }] },
          },
          dir,
        ),
      ),
    );
    for (const n of nodes) await frr.waitEstablished(n.addr);
    const all = nodes.map((n) => n.addr).sort();
    t.same(await waitFor(async () => { const nh = await frr!.kernelNexthops(VIP); return nh.length === 3 ? nh : undefined; }, 45_000, 'three next hops in the kernel'), all, 'one multipath route over the three nodes');

    const answers = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = await lab.exec('c1', 'curl', ['-s', '--max-time', '10', `http://${VIP}/`]);
      answers.add(r.stdout);
    }
    t.ok([...answers].every((a) => /^n[123]$/.test(a)), `every request answered by a node: ${[...answers].join(', ')}`);
    t.ok(answers.size >= 2, `requests spread over ${answers.size} nodes`);

    await waitFor(async () => {
      const peers = await frr!.json<Record<string, { status?: string }>>('show bfd peers json');
      const up = (peers as unknown as Array<{ peer: string; status: string }>).filter((p) => p.status === 'up').map((p) => p.peer);
      return up.includes('192.0.2.11') && up.includes('192.0.2.13');
    }, 45_000, 'FRR BFD sessions up with n1 and n3');
    const [st] = await shoal[0]!.status();
    t.match(st, { state: 'Established', bfd: { state: 'Up', transmitIntervalMs: 100, detectionTimeMs: 300 } });

    // Cut n1 (BFD) and n2 (hold time only) at the same moment.
    const cut = Date.now();
    await Promise.all([lab.setLink('n1', false), lab.setLink('n2', false)]);
    const gone: Record<string, number> = {};
    await waitFor(async () => {
      const nh = await frr!.kernelNexthops(VIP);
      for (const a of ['192.0.2.11', '192.0.2.12']) if (!nh.includes(a) && gone[a] === undefined) gone[a] = Date.now() - cut;
      return gone['192.0.2.11'] !== undefined && gone['192.0.2.12'] !== undefined;
    }, 45_000, 'both cut paths withdrawn', 10);
    const bfdMs = gone['192.0.2.11']!;
    const holdMs = gone['192.0.2.12']!;
    // How fast is for the benchmarks; here, which mechanism took each path
    // down (FRR's own record), and their order, which a 300 ms detection
    // against a 3 s hold timer keeps on any machine.
    t.comment(`path removal after the cut: BFD ${bfdMs} ms, hold time only ${holdMs} ms`);
    const resets = await frr.json<Record<string, { lastResetDueTo?: string; lastNotificationReason?: string }>>('show bgp neighbors json');
    const why = (a: string): string => `${resets[a]?.lastResetDueTo ?? ''} / ${resets[a]?.lastNotificationReason ?? ''}`;
    t.match(why('192.0.2.11'), /BFD/i, `FRR took n1's session down for BFD (${why('192.0.2.11')})`);
    t.match(why('192.0.2.12'), /Hold Timer/i, `FRR took n2's session down for its hold timer (${why('192.0.2.12')})`);
    t.ok(holdMs > bfdMs, 'the hold-time path goes after the BFD one');
    t.ok(holdMs >= 1500, `the hold-time path outlives the cut by more than half the 3 s hold timer (${holdMs} ms)`);
    t.same(await frr.kernelNexthops(VIP), ['192.0.2.13'], 'the untouched node still carries the service');
    const r = await lab.exec('c1', 'curl', ['-s', '--max-time', '10', `http://${VIP}/`]);
    t.equal(r.stdout, 'n3');

    await Promise.all([lab.setLink('n1', true), lab.setLink('n2', true)]);
    t.same(await waitFor(async () => { const nh = await frr!.kernelNexthops(VIP); return nh.length === 3 ? nh : undefined; }, 60_000, 'paths back after the links return'), all, 'sessions re-establish through the FSM');
  } finally {
    await lab.destroy();
    frr?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
