// Layer-2 announcing on a real (namespaced) network: two nodes running the
// compiled harness, a client with the real arping/ndisc6 and its kernel's
// neighbour table. The VIPs are configured on no interface, so the kernel
// never answers for them and everything seen comes from the responders.

import t from 'tap';

import { NetLab, netlabUnavailable, run, waitFor } from '../../support/netlab.js';
import { compiledScript, Harness } from './harness-client.js';
import { NOBODY_UID } from '../../support/unprivileged.js';

const why = netlabUnavailable();

const N1_MAC = '02:00:00:00:00:11';
const N2_MAC = '02:00:00:00:00:22';
const CLIENT_MAC = '02:00:00:00:00:99';
const VIP4 = '192.0.2.100';
const VIP6 = '2001:db8::100';

async function neighbour(lab: NetLab, host: string, ip: string): Promise<{ mac?: string; state: string[] } | undefined> {
  const out = await lab.ip(lab.ns(host), '-j', 'neigh', 'show', ip, 'dev', 'eth0');
  const entries = JSON.parse(out || '[]') as { lladdr?: string; state?: string[] }[];
  const e = entries[0];
  return e ? { mac: e.lladdr, state: e.state ?? [] } : undefined;
}

/** Whether host's kernel lists the IPv6 multicast group on eth0 (ip maddr). */
async function joined(lab: NetLab, host: string, group: string): Promise<boolean> {
  const out = await lab.ip(lab.ns(host), 'maddr', 'show', 'dev', 'eth0');
  return out.split('\n').some((line) => line.trim().split(/\s+/)[1] === group);
}

// Both probes give a responder slowed by load a few seconds (arping asks
// once a second for 3 s, ndisc6 three times a second apart) and stop at the
// first answer; where no answer is expected, the longer wait only makes the
// check stricter.
async function arping(lab: NetLab, ip: string): Promise<{ replied: boolean; stdout: string }> {
  const r = await lab.exec('c1', 'arping', ['-c', '1', '-w', '3', '-I', 'eth0', ip], { allowFail: true });
  return { replied: r.code === 0 && /reply from/i.test(r.stdout), stdout: r.stdout };
}

async function ndisc6(lab: NetLab, ip: string): Promise<{ replied: boolean; stdout: string }> {
  const r = await lab.exec('c1', 'ndisc6', ['-1', '-r', '3', '-w', '1000', ip, 'eth0'], { allowFail: true });
  return { replied: r.code === 0 && /Target link-layer address/i.test(r.stdout), stdout: r.stdout };
}

async function probeNs(lab: NetLab, args: string[]): Promise<{ answered: boolean; ethSrc?: string; hopLimit?: number; na?: { solicited: boolean } }> {
  const r = await lab.exec('c1', process.execPath, [compiledScript('ns-probe'), '--iface=eth0', '--src=2001:db8::99', ...args]);
  return JSON.parse(r.stdout.trim()) as { answered: boolean };
}

t.test('ARP and NDP answers, takeover by gratuitous announcements alone, release, hop limit', { skip: why ?? false }, async (t) => {
  const lab = await NetLab.create('l2');
  t.teardown(() => lab.destroy());
  await lab.host({ name: 'n1', addrs: ['192.0.2.11/24', '2001:db8::11/64'], mac: N1_MAC });
  await lab.host({ name: 'n2', addrs: ['192.0.2.12/24', '2001:db8::12/64'], mac: N2_MAC });
  await lab.host({ name: 'c1', addrs: ['192.0.2.99/24', '2001:db8::99/64'], mac: CLIENT_MAC });
  const h1 = await Harness.start(lab, 'n1');
  const h2 = await Harness.start(lab, 'n2');

  t.notOk((await arping(lab, VIP4)).replied, 'before anyone announces it, nobody (kernel included) answers ARP for the VIP');
  t.notOk((await ndisc6(lab, VIP6)).replied, 'nor NDP');
  t.ok((await arping(lab, '192.0.2.11')).replied, 'while the kernel answers for the node\'s own address');

  await h1.set({ [VIP4]: { interfaces: ['eth0'] }, [VIP6]: {} });
  const a4 = await arping(lab, VIP4);
  t.ok(a4.replied && a4.stdout.toLowerCase().includes(N1_MAC), `arping resolves the VIP to n1 (${a4.stdout.trim().split('\n')[1] ?? ''})`);
  const a6 = await ndisc6(lab, VIP6);
  t.ok(a6.replied && a6.stdout.toLowerCase().includes(N1_MAC), 'ndisc6 resolves the IPv6 VIP to n1 (a default-selected interface)');
  await h1.waitFor((e) => e.event === 'verdict' && e.verdict === 'answered' && e.ip === VIP4, 45_000, 'n1 to count the ARP answer');
  await h1.waitFor((e) => e.event === 'verdict' && e.verdict === 'answered' && e.ip === VIP6, 45_000, 'n1 to count the NDP answer');
  t.same(h2.verdicts(), [], 'n2, announcing nothing, has no socket open and heard nothing');
  t.ok(await joined(lab, 'n1', 'ff02::1:ff00:100'), 'n1\'s kernel has joined the VIP\'s solicited-node group (so NICs and MLD snooping pass it)');

  // The client's own kernel resolves the VIPs (a ping that gets no echo
  // still leaves a neighbour entry). The kernel resolves in the background
  // and ping does not wait for it: ask until the entry has a MAC.
  const resolved = (ip: string): Promise<string> =>
    waitFor(
      async () => {
        await lab.exec('c1', 'ping', [...(ip.includes(':') ? ['-6'] : []), '-c', '1', '-W', '0.3', ip], { allowFail: true });
        return (await neighbour(lab, 'c1', ip))?.mac;
      },
      45_000,
      `the client's kernel to resolve ${ip}`,
    );
  t.equal(await resolved(VIP4), N1_MAC, 'client kernel: IPv4 VIP at n1');
  t.equal(await resolved(VIP6), N1_MAC, 'client kernel: IPv6 VIP at n1');

  await t.test('ownership moves: the client follows the gratuitous ARP and unsolicited NA without asking', async (t) => {
    // Anything the client sends that could re-resolve the VIPs: ARP requests and NS.
    const capture = lab.spawn('c1', 'tcpdump', ['-l', '-n', '-p', '-i', 'eth0', `ether src ${CLIENT_MAC} and (arp or (icmp6 and ip6[40] == 135))`]);
    await waitFor(() => capture.output().includes('listening on'), 30_000, 'tcpdump to start');
    const h2Since = h2.events.length;
    await h1.set({});
    await h2.set({ [VIP4]: { interfaces: ['eth0'] }, [VIP6]: {} });
    t.notOk(await joined(lab, 'n1', 'ff02::1:ff00:100'), 'n1 left the group on release');
    t.ok(await joined(lab, 'n2', 'ff02::1:ff00:100'), 'n2 joined it on takeover');
    await waitFor(async () => (await neighbour(lab, 'c1', VIP4))?.mac === N2_MAC, 45_000, 'client IPv4 neighbour entry to move to n2');
    await waitFor(async () => (await neighbour(lab, 'c1', VIP6))?.mac === N2_MAC, 45_000, 'client IPv6 neighbour entry to move to n2');
    t.pass('both client neighbour entries now point at n2');
    await lab.kill(capture, 'SIGINT');
    // tcpdump prints its counts as it exits; the exit can be reported before that output is read.
    await waitFor(() => / packets captured/.test(capture.output()), 10_000, "tcpdump's closing counts");
    t.match(capture.output(), /^0 packets captured/m, 'the client sent no ARP request and no NS meanwhile');
    t.same(h2.verdicts(h2Since), [], 'and n2 received no question about the VIPs: the announcements alone moved the entries');
    t.ok(h2.events.slice(h2Since).some((e) => e.event === 'gratuitous' && e.protocol === 'arp'), 'n2 sent gratuitous ARP');
    t.ok(h2.events.slice(h2Since).some((e) => e.event === 'gratuitous' && e.protocol === 'ndp'), 'n2 sent an unsolicited NA');
    const moved = await arping(lab, VIP4);
    t.ok(moved.stdout.toLowerCase().includes(N2_MAC) && !moved.stdout.toLowerCase().includes(N1_MAC), 'arping now gets n2 only');
  });

  await t.test('RFC 4861 7.1.1: an NS with hop limit 64 is dropped; a unicast NS (cache re-validation) is answered', async (t) => {
    const since = h2.events.length;
    // The probe waits 500 ms by default for an answer: more, so that a
    // responder slowed by load still answers in time (and one that should
    // not answer has longer to get it wrong).
    const bad = await probeNs(lab, [`--target=${VIP6}`, '--hop=64', '--wait-ms=3000']);
    t.notOk(bad.answered, 'no NA for hop limit 64');
    await h2.waitFor((e) => e.event === 'verdict' && e.verdict === 'bad-hop-limit', 45_000, 'bad-hop-limit verdict', since);
    const unicast = await probeNs(lab, [`--target=${VIP6}`, `--dst=${VIP6}`, `--dst-mac=${N2_MAC}`, '--wait-ms=10000']);
    t.ok(unicast.answered, 'unicast NS to the VIP at n2\'s MAC is answered (a raw ICMPv6 socket would never see it)');
    t.equal(unicast.ethSrc, N2_MAC);
    t.equal(unicast.hopLimit, 255);
    t.equal(unicast.na?.solicited, true);
  });

  await t.test('a released address gets no answer from anyone', async (t) => {
    await h2.set({});
    t.notOk((await arping(lab, VIP4)).replied, 'no ARP reply');
    t.notOk((await ndisc6(lab, VIP6)).replied, 'no NA');
  });

  await t.test('an interface that appears is used at once, one that goes is cleaned up, the process survives', async (t) => {
    // Only rtnetlink can make this quick: the periodic rescan is a minute away.
    const h3 = await Harness.start(lab, 'n1', { args: ['--rescan-ms=60000'] });
    const since = h3.events.length;
    await h3.set({ '192.0.2.101': { interfaces: ['eth1'] } });
    const missing = await h3.waitFor((e) => e.event === 'error' && e.interface === 'eth1', 45_000, 'missing-interface error', since);
    t.match(missing, { code: 'ENODEV', message: 'interface eth1 does not exist' });
    await run('ip', ['link', 'add', 'eth1', 'netns', lab.ns('n1'), 'type', 'veth', 'peer', 'name', 'pn1b', 'netns', lab.lanNs]);
    await lab.ip(lab.lanNs, 'link', 'set', 'pn1b', 'master', 'br0', 'up');
    await lab.ip(lab.ns('n1'), 'link', 'set', 'eth1', 'address', '02:00:00:00:01:11');
    await lab.ip(lab.ns('n1'), 'link', 'set', 'eth1', 'up');
    await h3.waitFor((e) => e.event === 'announce' && e.interface === 'eth1', 45_000, 'announcement on the new eth1', since);
    const a = await arping(lab, '192.0.2.101');
    t.ok(a.stdout.toLowerCase().includes('02:00:00:00:01:11'), 'answered with eth1\'s MAC');
    await lab.ip(lab.ns('n1'), 'link', 'del', 'eth1');
    await h3.waitFor((e) => e.event === 'withdraw' && e.interface === 'eth1', 45_000, 'withdrawal from the deleted eth1', since);
    const status = await h3.command({ op: 'status' });
    t.match(status.status, { ips: [{ ip: '192.0.2.101', announcedOn: [] }], interfaces: [] }, 'alive, nothing open');
    t.equal(await h3.stop(), 0, 'clean exit');
  });

  await t.test('without CAP_NET_RAW, or on a missing interface: a clear error and no crash', async (t) => {
    const nobody = await Harness.start(lab, 'n1', { asUser: NOBODY_UID });
    await nobody.set({ [VIP4]: { interfaces: ['eth0'] }, [VIP6]: { interfaces: ['eth0'] } });
    const perm = await nobody.waitFor((e) => e.event === 'error' && e.protocol === 'arp', 45_000, 'EPERM error');
    t.match(perm, { code: 'EPERM', message: 'AF_PACKET socket on eth0 needs CAP_NET_RAW (run as root or grant the capability)' });
    const status = await nobody.command({ op: 'status' });
    t.match(status.status, { ips: [{ announcedOn: [] }, { announcedOn: [] }] }, 'still running, announcing nothing');
    t.equal(await nobody.stop(), 0, 'clean exit');

    const since = h1.events.length;
    await h1.set({ [VIP4]: { interfaces: ['nope0'] } });
    const nodev = await h1.waitFor((e) => e.event === 'error', 45_000, 'ENODEV error', since);
    t.match(nodev, { code: 'ENODEV', interface: 'nope0', message: 'interface nope0 does not exist' });
    t.notOk((await arping(lab, VIP4)).replied, 'nothing announced');
    t.equal(await h1.stop(), 0);
    t.equal(await h2.stop(), 0);
  });
});
