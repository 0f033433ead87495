// Graceful restart (RFC 4724) against FRR in namespaces: with
// gracefulRestart a speaker stopped by SIGTERM only closes its connection,
// FRR keeps the routes (stale) in its RIB and in the kernel while no speaker
// runs, and the next process (Restart State bit set) re-sends its routes
// and End-of-RIB, after which FRR drops the stale routes it did not re-send.
// Without gracefulRestart the same SIGTERM withdraws and sends Cease.
// GoBGP as a helper likewise keeps the routes across the restart.

import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetLab, netlabUnavailable, waitFor } from '../support/netlab.js';
import { Frr } from './lab/frr.js';
import { GoBgp, gobgpToml } from './lab/gobgp.js';
import { ShoalNode, type ShoalConfig } from './lab/shoal-node.js';

const why = netlabUnavailable();
// The file as a whole: two subtests of up to 180 s each, more than the runner's 300 s default.
t.setTimeout(420_000);

const routerConf = `frr defaults traditional
hostname r1
log stdout informational
!
router bgp 65000
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 no bgp network import-check
 bgp graceful-restart
 neighbor 192.0.2.11 remote-as 65001
 neighbor 192.0.2.11 timers 1 3
 neighbor 192.0.2.11 timers connect 1
 neighbor 192.0.2.12 remote-as 65002
 neighbor 192.0.2.12 timers 1 3
 neighbor 192.0.2.12 timers connect 1
 address-family ipv4 unicast
  neighbor 192.0.2.11 activate
  neighbor 192.0.2.12 activate
 exit-address-family
!
`;

const node = (address: string, asn: number, prefixes: string[], gracefulRestart: boolean): ShoalConfig => ({
  peers: [{ name: 'r1', peerAddress: '192.0.2.1', peerAsn: 65000, localAsn: asn, routerId: address, holdTimeSeconds: 9, ...(gracefulRestart ? { gracefulRestart: { restartTimeSeconds: 120 } } : {}) }],
  routes: { r1: prefixes.map((prefix) => ({ prefix })) },
});

interface FrrPath {
  stale?: boolean;
}

interface GrInfo {
  rBit?: boolean;
  endOfRibRecv?: Record<string, boolean>;
}

t.test('FRR keeps the routes of a gracefully restarting speaker, in its RIB and its FIB', { skip: why ?? false, timeout: 180_000 }, async (t) => {
  const lab = await NetLab.create('gr');
  const dir = mkdtempSync(join(tmpdir(), 'shoal-gr-'));
  let frr: Frr | undefined;
  try {
    await lab.host({ name: 'r1', addrs: ['192.0.2.1/24'] });
    await lab.host({ name: 'n1', addrs: ['192.0.2.11/24'] });
    await lab.host({ name: 'n2', addrs: ['192.0.2.12/24'] });
    frr = await Frr.start(lab, 'r1', routerConf);
    const paths = async (prefix: string): Promise<FrrPath[]> => (await frr!.json<{ paths?: FrrPath[] }>(`show bgp ipv4 unicast ${prefix} json`)).paths ?? [];

    const first = await ShoalNode.start(lab, 'n1', node('192.0.2.11', 65001, ['198.51.100.10/32', '198.51.100.11/32'], true), dir);
    await frr.waitEstablished('192.0.2.11');
    await waitFor(async () => (await frr!.kernelNexthops('198.51.100.10/32')).length > 0 && (await frr!.kernelNexthops('198.51.100.11/32')).length > 0, 45_000, 'both routes in the router kernel', 100);

    // A planned restart: SIGTERM, then no speaker at all for a while.
    await first.stop();
    await waitFor(async () => (await frr!.neighbors())['192.0.2.11']?.state !== 'Established', 45_000, 'FRR to see the connection close', 100);
    const nb = await frr.json<Record<string, { lastNotificationReason?: string; lastResetDueTo?: string }>>('show bgp neighbors 192.0.2.11 json');
    t.notMatch(JSON.stringify(nb['192.0.2.11'] ?? {}), /Cease|Administrative/i, 'no Cease was sent');
    // The window in which a real pod restarts: the route must stay in FRR's RIB (stale) and FIB throughout.
    // At least 4 s and at least three checks: on a loaded machine one check
    // (vtysh, ip) can take more than a second, and the restart time is 120 s.
    const windowEnd = Date.now() + 4000;
    let checks = 0;
    while (Date.now() < windowEnd || checks < 3) {
      const p = await paths('198.51.100.10/32');
      t.ok(p.length === 1 && p[0]!.stale === true, 'the route is kept, marked stale', { paths: p });
      t.same(await frr.kernelNexthops('198.51.100.10/32'), ['192.0.2.11'], 'and stays in the kernel: traffic keeps flowing');
      checks++;
      await new Promise((r) => setTimeout(r, 250));
    }
    t.ok(checks >= 3, `${checks} checks while no speaker ran`);

    // The next process announces only one of the two: at End-of-RIB, FRR drops the stale one it did not get again.
    const second = await ShoalNode.start(lab, 'n1', node('192.0.2.11', 65001, ['198.51.100.10/32'], true), dir);
    await frr.waitEstablished('192.0.2.11');
    await waitFor(async () => {
      const p = await paths('198.51.100.10/32');
      return p.length === 1 && p[0]!.stale !== true;
    }, 45_000, 'the re-sent route to be fresh again', 100);
    await waitFor(async () => (await paths('198.51.100.11/32')).length === 0, 45_000, 'End-of-RIB to flush the stale route not re-sent (well before the 120 s restart time)', 100);
    t.same(await frr.kernelNexthops('198.51.100.11/32'), [], 'gone from the kernel too');
    t.same(await frr.kernelNexthops('198.51.100.10/32'), ['192.0.2.11'], 'the re-sent one is still installed');
    const info = (await frr.json<Record<string, { gracefulRestartInfo?: GrInfo }>>('show bgp neighbors 192.0.2.11 json'))['192.0.2.11']?.gracefulRestartInfo;
    t.match(info, { rBit: true }, 'the new process set the Restart State bit', { info });
    t.match(info?.endOfRibRecv, { ipv4Unicast: true }, 'and sent End-of-RIB', { info });
    void second;

    // Without gracefulRestart, SIGTERM withdraws then sends Cease, as before.
    const plain = await ShoalNode.start(lab, 'n2', node('192.0.2.12', 65002, ['198.51.100.20/32'], false), dir);
    await frr.waitEstablished('192.0.2.12');
    await waitFor(async () => (await frr!.kernelNexthops('198.51.100.20/32')).length > 0, 45_000, 'the route of n2 installed', 100);
    await plain.stop();
    await waitFor(async () => (await paths('198.51.100.20/32')).length === 0, 45_000, 'withdrawn at once without graceful restart', 100);
    const nb2 = await frr.json<Record<string, unknown>>('show bgp neighbors 192.0.2.12 json');
    t.match(JSON.stringify(nb2['192.0.2.12']), /Administrative Shutdown|Administratively shut down|Cease/i, 'FRR saw a Cease');
  } finally {
    await lab.destroy();
    frr?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

t.test('GoBGP (helper) keeps the routes of a gracefully restarting speaker', { skip: why ?? false, timeout: 180_000 }, async (t) => {
  const lab = await NetLab.create('grg');
  const dir = mkdtempSync(join(tmpdir(), 'shoal-grg-'));
  let gobgp: GoBgp | undefined;
  try {
    await lab.host({ name: 'r1', addrs: ['192.0.2.1/24'] });
    await lab.host({ name: 'n1', addrs: ['192.0.2.11/24'] });
    gobgp = await GoBgp.start(lab, 'r1', gobgpToml(65000, '192.0.2.1', [{ address: '192.0.2.11', as: 65001, families: ['ipv4'], gracefulRestart: true, timers: ['hold-time = 9', 'keepalive-interval = 3'] }]));
    const cfg = (prefixes: string[]): ShoalConfig => ({ ...node('192.0.2.11', 65001, prefixes, true), peers: [{ ...node('192.0.2.11', 65001, prefixes, true).peers[0]!, families: [4], connectRetry: { minMs: 500, maxMs: 1000 } }] });
    const first = await ShoalNode.start(lab, 'n1', cfg(['198.51.100.10/32', '198.51.100.11/32']), dir);
    await waitFor(async () => (await gobgp!.paths('198.51.100.10/32')).length > 0 && (await gobgp!.paths('198.51.100.11/32')).length > 0, 60_000, 'both routes in GoBGP', 100);
    await first.stop();
    // The process has exited, but its last output may still be in the pipe.
    await waitFor(() => /closing for a restart/.test(first.proc.output()), 10_000, 'the log line of a close for a restart');
    t.pass('shoal closed for a restart');
    await waitFor(async () => (await gobgp!.neighborState('192.0.2.11')) !== 'established' && (await gobgp!.neighborState('192.0.2.11')) !== '6', 45_000, 'GoBGP to see the connection close', 100);
    const windowEnd = Date.now() + 4000;
    let checks = 0;
    while (Date.now() < windowEnd || checks < 3) {
      t.equal((await gobgp.paths('198.51.100.10/32')).length, 1, 'GoBGP keeps the route while no speaker runs');
      checks++;
      await new Promise((r) => setTimeout(r, 250));
    }
    t.ok(checks >= 3, `${checks} checks while no speaker ran`);
    const second = await ShoalNode.start(lab, 'n1', cfg(['198.51.100.10/32']), dir);
    await waitFor(async () => (await gobgp!.paths('198.51.100.11/32')).length === 0, 60_000, 'End-of-RIB to flush the stale route not re-sent', 100);
    t.equal((await gobgp.paths('198.51.100.10/32')).length, 1, 'the re-sent route stays');
    void second;
  } finally {
    await lab.destroy();
    gobgp?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
