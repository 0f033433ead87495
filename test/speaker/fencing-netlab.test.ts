// Split-brain fencing on a real segment. Three file-mode speakers on one
// bridge and a client; the owner of two VIPs (n1) is cut off from the other
// speakers by blackhole routes while the client still reaches everyone:
// - n2 elects itself and claims both VIPs; n1 keeps them (it owned them, and
//   ranks first of the two for both), so n2 yields: the client's arping is
//   answered by n1 alone and ndisc6 resolves to n1, with n2 still believing
//   it owns the VIPs;
// - after the heal every speaker agrees on n1, nothing stays yielded, and
//   the client's neighbour entries hold n1's MAC;
// - a plain host configured with the IPv4 VIP (arping -U) is reported by n1
//   as an unknown host and not fought: n1 sends no more broadcast claims
//   than its periodic re-assertion; one doing DAD for the IPv6 VIP is
//   answered and reported as a probe.
import t from 'tap';
import { distMissing } from '../support/dist.js';
import { netlabUnavailable, waitFor, type LabProcess } from '../support/netlab.js';
import { ADDR, FileSpeakerLab, MAC, NODES, VIP4, VIP6, WEB_VIPS, type NodeName } from './file-speaker-lab.js';

const skip = netlabUnavailable() ?? distMissing();

// Both walk the ring n1, n2, n3 (file-speaker-lab.ts): n1 owns them
// and wins a contest with n2 for either.
const VIPS = WEB_VIPS;
const SCHEDULES = { gratuitousArpMs: [0, 300], unsolicitedNaMs: [0, 300] };
// Delayed failback off: a member cut off from every other one is not ready
// after the heal and hands its addresses over for the warm-up
// (docs/failover.md); this test watches the fencing rule alone.
const FENCING = { fencing: { resolve: true, reassertMs: 3000, healBurstMs: [0, 500, 2000], failbackDelayMs: 0 } };
const INTRUDER_MAC = '02:00:00:00:00:50';
const REASSERT_WINDOW_MS = 9000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface ConflictsSection {
  live: { ip: string; mac: string; member?: string; resolution: string }[];
  yielded: Record<string, string>;
}

async function conflicts(fl: FileSpeakerLab, n: NodeName): Promise<ConflictsSection | undefined> {
  return ((await fl.status(n)) as { conflicts?: ConflictsSection } | undefined)?.conflicts;
}

/** Neighbor Solicitations a host's kernel has sent (its DAD probes among them), from its namespace's ICMPv6 counters. */
async function solicitationsSent(lab: FileSpeakerLab['lab'], host: string): Promise<number> {
  const snmp = (await lab.exec(host, 'cat', ['/proc/net/snmp6'])).stdout;
  const m = /^Icmp6OutNeighborSolicits\s+(\d+)$/m.exec(snmp);
  if (!m) throw new Error(`no Icmp6OutNeighborSolicits in ${host}'s /proc/net/snmp6`);
  return Number(m[1]);
}

/** n1's log lines about claims and conflicts, the last `max` of them. */
function claimLog(fl: FileSpeakerLab, max = 20): string {
  const lines = (fl.speakers.get('n1')?.output() ?? '').split('\n').filter((l) => l.includes('"module":"announce/fencing"') || l.includes('claims an address'));
  return lines.slice(-max).join('\n');
}

/** Broadcast ARP claims for vip sent by mac, as tcpdump -e printed them. */
function broadcastClaims(capture: LabProcess, vip: string, mac: string): number {
  return capture
    .output()
    .split('\n')
    .filter((l) => l.includes(`${mac} > ff:ff:ff:ff:ff:ff`) && (l.includes(`tell ${vip},`) || l.includes(`Reply ${vip} is-at`))).length;
}

t.test('split brain: one answerer during a partition, clients on the owner after the heal, unknown hosts reported and not fought', { skip: skip ?? false }, async (t) => {
  const fl = await FileSpeakerLab.create('fence', t);
  const { lab } = fl;
  for (const n of NODES) fl.writeConfig(n, VIPS, SCHEDULES, FENCING);
  for (const n of NODES) fl.start(n);
  await waitFor(
    async () => (await fl.agreedOwner(VIP4, NODES)) === 'n1' && (await fl.agreedOwner(VIP6, NODES)) === 'n1' && (await fl.arping(VIP4)).join() === MAC.n1,
    30_000,
    'every speaker to agree n1 owns both VIPs, and n1 to answer',
  );
  t.pass('n1 owns both VIPs');

  // ---- partition n1 from n2 and n3 (both directions); the client reaches all three.
  const blackholes: [NodeName, string][] = [
    ['n1', ADDR.n2[0]],
    ['n1', ADDR.n3[0]],
    ['n2', ADDR.n1[0]],
    ['n3', ADDR.n1[0]],
  ];
  for (const [n, dst] of blackholes) await lab.ip(lab.ns(n), 'route', 'add', 'blackhole', `${dst}/32`);
  await waitFor(async () => (await fl.announcements('n2'))?.find((a) => a.ip === VIP4)?.owner === 'n2', 30_000, 'n2 to elect itself for the VIP (n1 dead in its view)');
  t.pass('n2 elected itself: two members claim the VIPs');
  // A conflict is live for the yield window after the last claim seen, and
  // n2 stops claiming once it yields: look while it is fresh, not after the
  // slow client checks below.
  await waitFor(
    async () => (await conflicts(fl, 'n1'))?.live.some((c) => c.ip === VIP4 && c.member === 'n2' && c.resolution === 'won') ?? false,
    30_000,
    'n1 to report the conflict with n2 as won',
  ).catch(async (err: unknown) => {
    // What n1 did see, to tell a claim never received from one attributed or resolved otherwise.
    const counted = (await fl.metrics('n1')).split('\n').filter((l) => l.startsWith('shoal_l2_conflicts_total'));
    t.comment(`n1's conflicts: ${JSON.stringify((await conflicts(fl, 'n1'))?.live)}; counted: ${counted.join('; ')}`);
    t.comment(`n1's log of claims:\n${claimLog(fl)}`);
    throw err;
  });
  t.pass('n1 reports the conflict with n2 as won');
  await waitFor(
    async () => {
      const c = await conflicts(fl, 'n2');
      return c?.yielded[VIP4] === 'n1' && c.yielded[VIP6] === 'n1';
    },
    30_000,
    'n2 to yield both VIPs to n1',
  );
  t.pass('n2 yielded both VIPs to n1');
  // n2 still believes it owns them, yet the client hears n1 alone.
  t.equal((await fl.announcements('n2'))?.find((a) => a.ip === VIP4)?.owner, 'n2', 'n2 still elects itself');
  for (let i = 0; i < 3; i++) t.same(await fl.arping(VIP4), [MAC.n1], `arping ${VIP4} answered by n1 alone (${i + 1} of 3)`);
  t.match(await fl.ndisc(VIP6), MAC.n1, `ndisc6 ${VIP6} resolves to n1`);
  t.match(await fl.metrics('n1'), /shoal_l2_conflicts_total\{address="192\.0\.2\.100",resolution="won"\} [1-9]/, 'n1 counts the conflict with n2 as won');

  // ---- heal
  for (const [n, dst] of blackholes) await lab.ip(lab.ns(n), 'route', 'del', 'blackhole', `${dst}/32`);
  await waitFor(
    async () => {
      if ((await fl.agreedOwner(VIP4, NODES)) !== 'n1' || (await fl.agreedOwner(VIP6, NODES)) !== 'n1') return false;
      const c = await conflicts(fl, 'n2');
      return c !== undefined && Object.keys(c.yielded).length === 0;
    },
    30_000,
    'the speakers to agree on n1 again, with nothing yielded',
  );
  await lab.exec('c', 'ping', ['-c', '1', '-W', '1', VIP4], { allowFail: true });
  await lab.exec('c', 'ping', ['-6', '-c', '1', '-W', '1', VIP6], { allowFail: true });
  await waitFor(async () => (await fl.neighbour(VIP4)).includes(MAC.n1) && (await fl.neighbour(VIP6)).includes(MAC.n1), 30_000, "the client's neighbour entries to hold n1's MAC");
  t.pass("after the heal the client's neighbour entries hold n1's MAC");
  t.same(await fl.arping(VIP4), [MAC.n1], 'and n1 alone answers');

  // ---- a host outside the cluster takes the IPv4 VIP
  await lab.host({ name: 'x', addrs: ['192.0.2.50/24', '2001:db8::50/64'], mac: INTRUDER_MAC });
  await lab.ip(lab.ns('x'), 'addr', 'add', `${VIP4}/32`, 'dev', 'eth0');
  const capture = lab.spawn('c', 'tcpdump', ['-l', '-n', '-e', '-p', '-i', 'eth0', 'arp']);
  await waitFor(() => capture.output().includes('listening on'), 30_000, 'tcpdump to start');
  const captureStart = Date.now();
  const intruder = lab.spawn('x', 'arping', ['-U', '-c', String(REASSERT_WINDOW_MS / 1000), '-I', 'eth0', '-s', VIP4, VIP4]);
  await waitFor(
    async () => (await conflicts(fl, 'n1'))?.live.some((c) => c.ip === VIP4 && c.mac === INTRUDER_MAC && c.member === undefined && c.resolution === 'unknown-host'),
    30_000,
    'n1 to report the unknown host',
  );
  t.pass('n1 reports the host outside the cluster');
  await sleep(REASSERT_WINDOW_MS);
  await lab.kill(capture, 'SIGTERM');
  const capturedMs = Date.now() - captureStart;
  await lab.kill(intruder, 'SIGTERM');
  // Periodic re-assertion every 2.4 to 3.6 s is at most one round of two
  // frames per 2.4 s of capture (plus the round in progress); fighting back
  // would add a burst of three rounds for each claim seen. The bound follows
  // the time the capture really ran: waiting for the report above can take
  // long on a loaded machine.
  const claims = broadcastClaims(capture, VIP4, MAC.n1);
  const periodic = 2 * (Math.floor(capturedMs / 2400) + 1);
  t.ok(claims <= periodic, `n1 sent ${claims} broadcast claims in ${(capturedMs / 1000).toFixed(1)} s of capture during the intruder's claims: no more than its periodic re-assertion (${periodic})`);
  t.ok(broadcastClaims(capture, VIP4, INTRUDER_MAC) >= 3, 'the intruder did claim the VIP on the wire');
  t.notOk((await conflicts(fl, 'n1'))?.yielded[VIP4], 'n1 did not yield to it');
  t.match(await fl.metrics('n1'), /shoal_l2_conflicts_total\{address="192\.0\.2\.100",resolution="unknown-host"\} [1-9]/, 'the unknown host is counted');

  // ---- and one doing DAD for the IPv6 VIP (the lab turns DAD off on its hosts)
  await lab.sysctl('x', 'net.ipv6.conf.all.accept_dad', '1');
  await lab.sysctl('x', 'net.ipv6.conf.eth0.accept_dad', '1');
  // DAD sends one probe after a random delay of up to a second (Linux's
  // rtr_solicit_delay; RFC 4862 5.4.2). n1's periodic re-assertion sends an
  // unsolicited NA for the VIP every 2.4 to 3.6 s; one that arrives in that
  // delay makes the intruder's kernel give the address up before it probes
  // (5.4.4): n1 defended it, but there was no probe to report. Such a try
  // is made again (the address removed and added); a probe that did go out
  // must be reported.
  const vip6State = async (): Promise<string> => (await lab.ip(lab.ns('x'), '-6', 'addr', 'show', 'dev', 'eth0')).split('\n').find((l) => l.includes(`${VIP6}/128`)) ?? '';
  for (let attempt = 1; ; attempt++) {
    const before = await solicitationsSent(lab, 'x');
    await lab.ip(lab.ns('x'), '-6', 'addr', 'add', `${VIP6}/128`, 'dev', 'eth0');
    const concluded = await waitFor(async () => {
      const state = await vip6State();
      return !state.includes('tentative') || state.includes('dadfailed') ? state : undefined;
    }, 30_000, "the intruder's DAD for the IPv6 VIP to conclude");
    if ((await solicitationsSent(lab, 'x')) > before) break;
    t.comment(`try ${attempt}: the intruder gave the VIP up without probing (${concluded.trim()}): n1's periodic NA came first`);
    if (attempt === 8) throw new Error("the intruder's kernel never sent its DAD probe in 8 tries");
    await lab.ip(lab.ns('x'), '-6', 'addr', 'del', `${VIP6}/128`, 'dev', 'eth0');
  }
  await waitFor(
    async () => (await conflicts(fl, 'n1'))?.live.some((c) => c.ip === VIP6 && c.mac === INTRUDER_MAC && c.resolution === 'probe'),
    30_000,
    "n1 to answer and report the intruder's DAD probe",
  ).catch(async (err: unknown) => {
    // What n1 made of the NDP frames it saw, to tell a probe never received from one misjudged.
    const verdicts = (await fl.metrics('n1')).split('\n').filter((l) => l.startsWith('shoal_l2_requests_received_total{protocol="ndp"'));
    t.comment(`n1's NDP verdicts: ${verdicts.join('; ')}; the intruder's VIP: ${(await vip6State()).trim()}`);
    t.comment(`n1's log of claims:\n${claimLog(fl)}`);
    throw err;
  });
  t.pass("n1 defended the IPv6 VIP against the intruder's DAD and reported it");
  await waitFor(async () => (await lab.ip(lab.ns('x'), '-6', 'addr', 'show', 'dev', 'eth0')).includes('dadfailed'), 10_000, "the intruder's kernel to mark its copy dadfailed");
  t.pass("the intruder's kernel gave the address up (dadfailed)");
});
