// bench/bgp: shoal as a BGP speaker against GoBGP, into the same FRR, in
// one run; and how fast a dead node's path leaves the router, with BFD and
// with the hold timer only. Needs root (network namespaces).
//
//   npm run bench:bgp                       # 10k prefixes, 5 trials each
//   npm run bench:bgp -- --prefixes 20000 --trials 3
//
// Part 1. FRR (AS 65000) peers over IPv6 with a shoal node (AS 65001) and a
// GoBGP speaker (AS 65002); both hold the same N IPv6 /128s of 2001:db8::/32
// (shoal from its route input, GoBGP from an MRT table injected before the
// session). Each trial FRR enables one neighbor and polls it; the time is
// from the first poll that sees the session Established to the first that
// sees all N prefixes in FRR's Adj-RIB-In (each poll is one vtysh call, about
// 10-40 ms here, so that is the resolution); the time from enabling the
// neighbor is recorded too. Trials alternate shoal and GoBGP; the neighbor is
// shut down between trials.
//
// Part 2. Two shoal nodes advertise one service address; one runs BFD
// (300 ms x 3) with FRR, the other relies on a 3 s hold time. Both links are
// cut at once; the time until each node's path leaves the router's kernel
// table is taken by polling `ip route` every 10 ms. Links come back and the
// paths return between trials.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetLab, netlabUnavailable, waitFor } from '../../test/support/netlab.js';
import { Frr } from '../../test/bgp/lab/frr.js';
import { GoBgp, gobgpToml } from '../../test/bgp/lab/gobgp.js';
import { ShoalNode } from '../../test/bgp/lab/shoal-node.js';
import { repoRoot } from '../../test/support/dist.js';
import { formatPrefix, type Prefix } from '../../src/net/index.js';
import { mrtIpv6Table } from './mrt.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const N = arg('prefixes', 10_000);
const TRIALS = arg('trials', 5);
const VIP = '198.51.100.10';

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function prefixes(n: number): Prefix[] {
  const out: Prefix[] = [];
  for (let i = 1; i <= n; i++) {
    // 2001:db8:1::i
    out.push({ family: 6, address: (0x20010db80001n << 80n) | BigInt(i), length: 128 });
  }
  return out;
}

const frrConf = `frr defaults traditional
hostname r1
log stdout warnings
!
router bgp 65000
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 bgp bestpath as-path multipath-relax
 neighbor 2001:db8::11 remote-as 65001
 neighbor 2001:db8::11 timers connect 1
 neighbor 2001:db8::11 shutdown
 neighbor 2001:db8::21 remote-as 65002
 neighbor 2001:db8::21 timers connect 1
 neighbor 2001:db8::21 shutdown
 neighbor 192.0.2.12 remote-as 65001
 neighbor 192.0.2.12 timers 1 3
 neighbor 192.0.2.12 bfd profile b300
 neighbor 192.0.2.13 remote-as 65001
 neighbor 192.0.2.13 timers 1 3
 address-family ipv4 unicast
  no neighbor 2001:db8::11 activate
  no neighbor 2001:db8::21 activate
  maximum-paths 8
 exit-address-family
 address-family ipv6 unicast
  neighbor 2001:db8::11 activate
  neighbor 2001:db8::21 activate
 exit-address-family
!
`;

const bfdConf = `bfd
 profile b300
  transmit-interval 300
  receive-interval 300
  detect-multiplier 3
 !
!
`;

interface NeighborJson {
  bgpState?: string;
  addressFamilyInfo?: { ipv6Unicast?: { acceptedPrefixCounter?: number } };
}

/**
 * Enables the neighbor and polls it: returns the time from the first poll
 * that sees the session Established to the first that sees all N prefixes
 * accepted (FRR's own uptime counter has whole-second resolution, too coarse).
 */
async function transfer(frr: Frr, neighbor: string): Promise<{ ms: number; fromEnableMs: number }> {
  const enabled = performance.now();
  await frr.vtysh('configure terminal', 'router bgp 65000', `no neighbor ${neighbor} shutdown`);
  let established: number | undefined;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const n = (await frr.json<Record<string, NeighborJson>>(`show bgp neighbors ${neighbor} json`))[neighbor];
    const now = performance.now();
    if (n?.bgpState === 'Established') established ??= now;
    if (established !== undefined && (n?.addressFamilyInfo?.ipv6Unicast?.acceptedPrefixCounter ?? 0) >= N) {
      await frr.vtysh('configure terminal', 'router bgp 65000', `neighbor ${neighbor} shutdown`);
      await waitFor(async () => (await frr.json<Record<string, NeighborJson>>(`show bgp neighbors ${neighbor} json`))[neighbor]?.bgpState !== 'Established', 10_000, 'neighbor shut');
      return { ms: Math.round(now - established), fromEnableMs: Math.round(now - enabled) };
    }
    if (Date.now() > deadline) throw new Error(`${neighbor}: FRR never held ${N} prefixes (${JSON.stringify(n).slice(0, 300)})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function main(): Promise<void> {
  const why = netlabUnavailable();
  if (why) throw new Error(`bench:bgp ${why}`);
  const lab = await NetLab.create('bb');
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-bgp-'));
  let frr: Frr | undefined;
  let gobgp: GoBgp | undefined;
  try {
    await lab.host({ name: 'r1', addrs: ['192.0.2.1/24', '2001:db8::1/64'] });
    await lab.host({ name: 'n1', addrs: ['192.0.2.11/24', '2001:db8::11/64'] });
    await lab.host({ name: 'g1', addrs: ['192.0.2.21/24', '2001:db8::21/64'] });
    await lab.host({ name: 'n2', addrs: ['192.0.2.12/24'] });
    await lab.host({ name: 'n3', addrs: ['192.0.2.13/24'] });
    frr = await Frr.start(lab, 'r1', frrConf, { bfd: bfdConf });

    // Part 1: N prefixes from shoal and from GoBGP.
    const ps = prefixes(N);
    await ShoalNode.start(
      lab,
      'n1',
      {
        peers: [{ name: 'r1', peerAddress: '2001:db8::1', peerAsn: 65000, localAsn: 65001, routerId: '192.0.2.11', passive: true, families: [6] }],
        routes: { r1: ps.map((p) => ({ prefix: formatPrefix(p) })) },
      },
      dir,
    );
    gobgp = await GoBgp.start(
      lab,
      'g1',
      gobgpToml(65002, '192.0.2.21', [{ address: '2001:db8::1', as: 65000, families: ['ipv6'], timers: ['idle-hold-time-after-reset = 1'] }]),
    );
    // gobgp's CLI can exit before its last batch of an injection is sent: the table ends with
    // repeats of its first 2000 routes, so what may be lost is only repeats, and the inject is
    // retried until GoBGP holds all N.
    const mrt = join(gobgp.dir, 'table.mrt');
    writeFileSync(mrt, mrtIpv6Table({ collectorId: '192.0.2.21', peerId: '192.0.2.21', peerAddress: '2001:db8::21', peerAsn: 65002, nextHop: '2001:db8::21', prefixes: [...ps, ...ps.slice(0, 2000)] }));
    const holdsAll = async (): Promise<boolean> => new RegExp(`Destination: ${N},`).test(await gobgp!.cli(['global', 'rib', 'summary', '-a', 'ipv6']));
    for (let attempt = 0; attempt < 5 && !(await holdsAll()); attempt++) {
      await gobgp.cli(['mrt', 'inject', 'global', mrt]);
      await waitFor(holdsAll, 3000, 'GoBGP loading the table', 100).catch(() => undefined);
    }
    if (!(await holdsAll())) throw new Error(`GoBGP did not load ${N} routes`);

    const shoalMs: number[] = [];
    const gobgpMs: number[] = [];
    const shoalFromEnableMs: number[] = [];
    const gobgpFromEnableMs: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      const s = await transfer(frr, '2001:db8::11');
      const g = await transfer(frr, '2001:db8::21');
      shoalMs.push(s.ms);
      gobgpMs.push(g.ms);
      shoalFromEnableMs.push(s.fromEnableMs);
      gobgpFromEnableMs.push(g.fromEnableMs);
      process.stderr.write(`trial ${i + 1}: shoal ${s.ms} ms (${s.fromEnableMs} from enable), GoBGP ${g.ms} ms (${g.fromEnableMs} from enable)\n`);
    }

    // Part 2: withdrawal after a node dies, BFD against the hold timer.
    const node = (host: string, addr: string, bfd: boolean): Promise<ShoalNode> =>
      ShoalNode.start(
        lab,
        host,
        {
          peers: [
            {
              name: 'r1',
              peerAddress: '192.0.2.1',
              peerAsn: 65000,
              localAsn: 65001,
              routerId: addr,
              holdTimeSeconds: 3,
              connectRetry: { minMs: 200, maxMs: 1000 },
              ...(bfd ? { bfd: { receiveIntervalMs: 300, transmitIntervalMs: 300, detectMultiplier: 3 } } : {}),
            },
          ],
          routes: { r1: [{ prefix: `${VIP}/32` }] },
        },
        dir,
      );
    await node('n2', '192.0.2.12', true);
    await node('n3', '192.0.2.13', false);
    const bothPaths = async (): Promise<boolean> => (await frr!.kernelNexthops(VIP)).length === 2;
    const bfdUp = async (): Promise<boolean> => {
      const peers = await frr!.json<Array<{ peer: string; status: string }>>('show bfd peers json');
      return Array.isArray(peers) && peers.some((p) => p.peer === '192.0.2.12' && p.status === 'up');
    };
    const bfdMs: number[] = [];
    const holdMs: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      await waitFor(async () => (await bothPaths()) && (await bfdUp()), 60_000, 'both paths and BFD up', 50);
      await new Promise((r) => setTimeout(r, 1000));
      const cut = Date.now();
      await Promise.all([lab.setLink('n2', false), lab.setLink('n3', false)]);
      const gone: Record<string, number> = {};
      await waitFor(async () => {
        const nh = await frr!.kernelNexthops(VIP);
        for (const a of ['192.0.2.12', '192.0.2.13']) if (!nh.includes(a) && gone[a] === undefined) gone[a] = Date.now() - cut;
        return gone['192.0.2.12'] !== undefined && gone['192.0.2.13'] !== undefined;
      }, 30_000, 'paths withdrawn', 10);
      bfdMs.push(gone['192.0.2.12']!);
      holdMs.push(gone['192.0.2.13']!);
      process.stderr.write(`withdraw trial ${i + 1}: BFD ${bfdMs.at(-1)} ms, hold time ${holdMs.at(-1)} ms\n`);
      await Promise.all([lab.setLink('n2', true), lab.setLink('n3', true)]);
    }

    const result = {
      machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg().map((x) => Math.round(x * 100) / 100) },
      prefixes: {
        count: N,
        trials: TRIALS,
        shoalMs,
        gobgpMs,
        shoalFromEnableMs,
        gobgpFromEnableMs,
        medianShoalMs: median(shoalMs),
        medianGobgpMs: median(gobgpMs),
        ratio: Math.round((median(shoalMs) / median(gobgpMs)) * 100) / 100,
        target: 'shoal within 2x of GoBGP',
        met: median(shoalMs) <= 2 * median(gobgpMs),
      },
      withdraw: {
        trials: TRIALS,
        bfd: '300 ms x 3',
        holdTimeSeconds: 3,
        bfdMs,
        holdMs,
        medianBfdMs: median(bfdMs),
        maxBfdMs: Math.max(...bfdMs),
        medianHoldMs: median(holdMs),
        target: 'BFD withdraw under 1 s',
        met: median(bfdMs) < 1000,
      },
    };
    const rows: Array<[string, string, string, string]> = [
      ['measure', 'median ms', 'all trials ms', 'target'],
      [`${N} prefixes, shoal -> FRR`, String(result.prefixes.medianShoalMs), shoalMs.join(' '), ''],
      [`${N} prefixes, GoBGP -> FRR`, String(result.prefixes.medianGobgpMs), gobgpMs.join(' '), ''],
      ['ratio shoal / GoBGP', String(result.prefixes.ratio), '', `<= 2: ${result.prefixes.met ? 'met' : 'NOT met'}`],
      ['withdraw, BFD 300 ms x 3', String(result.withdraw.medianBfdMs), bfdMs.join(' '), `< 1000: ${result.withdraw.met ? 'met' : 'NOT met'}`],
      ['withdraw, hold time 3 s', String(result.withdraw.medianHoldMs), holdMs.join(' '), ''],
    ];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
    console.log(`machine: ${result.machine.cpus} cpus, load ${result.machine.loadavg.join(' ')}`);
    const out = join(repoRoot, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'bgp.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(`wrote ${join(out, 'bgp.json')}`);
  } finally {
    await lab.destroy();
    frr?.cleanup();
    gobgp?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
