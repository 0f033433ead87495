import { Registry } from 'prom-client';
import t from 'tap';

import { decodeArp } from '../../../src/announce/l2/arp.js';
import { Announcer, type AnnouncerEvent } from '../../../src/announce/l2/announcer.js';
import type { L2Target } from '../../../src/announce/l2/desired-state.js';
import { gratuitousArpFrames } from '../../../src/announce/l2/arp-responder.js';
import { decodeEthernet } from '../../../src/announce/l2/ethernet.js';
import { decodeIpv6 } from '../../../src/announce/l2/ipv6.js';
import { decodeNdp } from '../../../src/announce/l2/ndp.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/log.js';
import { errno, FakeIo, fakeInterface } from './fake-io.js';
import { arpRequestFrame, nsFrame } from './frames.js';
import { unwrap } from '../../support/decoded.js';

const VIP4 = '192.0.2.100';
const VIP6 = '2001:db8::100';
const CLIENT_MAC = '02:00:00:00:00:99';

function setup(opts: { interfaces?: string[] } = {}) {
  const io = new FakeIo();
  io.interfaces = (opts.interfaces ?? ['eth0']).map((n) => fakeInterface(n));
  const clock = new VirtualClock();
  const registry = new Registry();
  const events: AnnouncerEvent[] = [];
  // Periodic re-assertion has its own tests (announcer-fencing.test.ts); off here so frames can be counted.
  const announcer = new Announcer({ io, clock, logger: silentLogger, registry, reassertEveryMs: 0, onEvent: (e) => events.push(e) });
  announcer.start();
  const mac = (name: string): string => io.interfaces.find((i) => i.name === name)!.mac!;
  const desired = (entries: Record<string, L2Target>) => announcer.set(new Map(Object.entries(entries)));
  const metric = async (name: string, labels: Record<string, string>): Promise<number> => {
    const m = registry.getSingleMetric(name);
    if (!m) throw new Error(`no metric ${name}`);
    const values = (await m.get()).values;
    return values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((s, v) => s + v.value, 0);
  };
  const askArp = (iface: string, ip: string) => io.port('arp', iface).onFrame(arpRequestFrame({ srcMac: CLIENT_MAC, senderIp: '192.0.2.99', targetIp: ip }));
  const verdicts = () => events.filter((e) => e.type === 'verdict').map((e) => (e.type === 'verdict' ? `${e.interface}:${e.verdict}` : ''));
  return { io, clock, registry, events, announcer, mac, desired, metric, askArp, verdicts };
}

t.test('taking an address: sockets, the gratuitous schedule, and answers', async (t) => {
  const { io, clock, desired, mac, metric, askArp, announcer } = setup();
  desired({ [VIP4]: {}, [VIP6]: {} });
  const arp = io.port('arp', 'eth0');
  const ndp = io.port('ndp', 'eth0');
  t.equal(arp.sent.length, 2, 'first round (request and reply form) sent before set() returns');
  t.same(arp.sent, gratuitousArpFrames(mac('eth0'), VIP4));
  t.equal(ndp.sent.length, 1, 'first unsolicited NA');
  t.same([...io.memberships.get('eth0')!.groups], ['ff02::1:ff00:100'], 'joined the solicited-node group');
  t.same(io.memberships.get('eth0')!.settled, [['ff02::1:ff00:100']], 'the membership is told once the pass has joined and left what it needs (all-multicast goes only then)');
  clock.advance(10_000);
  t.equal(arp.sent.length, 10, 'five rounds of two');
  t.equal(ndp.sent.length, 3, 'three NAs');
  t.equal(await metric('shoal_l2_gratuitous_sent_total', { protocol: 'arp', interface: 'eth0' }), 10);
  t.equal(await metric('shoal_l2_owned_ips', { protocol: 'ndp' }), 1);
  t.equal(await metric('shoal_l2_announced_ips', { protocol: 'arp', interface: 'eth0' }), 1);

  askArp('eth0', VIP4);
  t.equal(arp.sent.length, 11, 'answered');
  const reply = unwrap(decodeArp(unwrap(decodeEthernet(arp.sent.at(-1)!)).payload));
  t.same([reply.op, reply.senderIp, reply.senderMac], ['reply', VIP4, mac('eth0')]);
  askArp('eth0', '192.0.2.55');
  t.equal(arp.sent.length, 11, 'not owned: silence');
  ndp.onFrame(nsFrame({ srcMac: CLIENT_MAC, src: '2001:db8::99', target: VIP6 }));
  const na = unwrap(decodeNdp(unwrap(decodeIpv6(unwrap(decodeEthernet(ndp.sent.at(-1)!)).payload)).payload));
  t.match(na, { type: 'neighbor-advertisement', solicited: true, override: true, target: VIP6 });
  t.equal(await metric('shoal_l2_requests_received_total', { verdict: 'answered' }), 2);
  t.equal(await metric('shoal_l2_requests_received_total', { verdict: 'not-owned' }), 1);
  t.equal(await metric('shoal_l2_responses_sent_total', { protocol: 'ndp' }), 1);
  t.same(announcer.status().ips, [
    { ip: VIP4, protocol: 'arp', requested: 'default', announcedOn: ['eth0'] },
    { ip: VIP6, protocol: 'ndp', requested: 'default', announcedOn: ['eth0'] },
  ]);
});

t.test('releasing an address: silence at once, pending rounds cancelled, group left, idle sockets closed', async (t) => {
  const { io, clock, desired, askArp, verdicts, metric } = setup();
  desired({ [VIP4]: {}, '192.0.2.101': {}, [VIP6]: {} });
  const arp = io.port('arp', 'eth0');
  clock.advance(300);
  desired({ '192.0.2.101': {}, [VIP6]: {} });
  const before = arp.sent.length;
  askArp('eth0', VIP4);
  t.equal(verdicts().at(-1), 'eth0:not-owned', 'not answered from the moment set() returned');
  clock.advance(10_000);
  const rounds = arp.sent.slice(before).map((f) => unwrap(decodeArp(unwrap(decodeEthernet(f)).payload)).senderIp);
  t.notOk(rounds.includes(VIP4), 'no further gratuitous round for the released address');
  t.ok(rounds.includes('192.0.2.101'), 'the other address keeps its schedule');
  desired({ [VIP6]: {} });
  t.ok(arp.closed, 'the ARP socket closed once nothing needs it');
  t.ok(io.isOpen('ndp', 'eth0'));
  desired({});
  t.same([...io.memberships.get('eth0')!.groups], [], 'left the group');
  t.notOk(io.isOpen('ndp', 'eth0'));
  t.equal(await metric('shoal_l2_owned_ips', {}), 0);
  t.equal(clock.pending, 1, 'only the periodic rescan is left');
});

t.test('set() is declarative: repeating it changes nothing, moving interfaces re-announces only where new', async (t) => {
  const { io, desired, events } = setup({ interfaces: ['eth0', 'eth1'] });
  desired({ [VIP4]: { interfaces: ['eth0'] } });
  desired({ [VIP4]: { interfaces: ['eth0'] } });
  t.equal(io.port('arp', 'eth0').sent.length, 2, 'one round, not two');
  t.notOk(io.isOpen('arp', 'eth1'));
  desired({ [VIP4]: { interfaces: ['eth1'] } });
  t.equal(io.port('arp', 'eth1').sent.length, 2);
  t.notOk(io.isOpen('arp', 'eth0'));
  t.same(
    events.filter((e) => e.type === 'announce' || e.type === 'withdraw').map((e) => `${e.type}:${'interface' in e ? e.interface : ''}`),
    ['announce:eth0', 'withdraw:eth0', 'announce:eth1'],
  );
  desired({ '192.0.2.100': { interfaces: ['eth1'] }, '2001:DB8:0::100': { interfaces: [] } });
  t.same(io.port('ndp', 'eth0').sent.length, 1, 'an empty list means the default selection; any text form of the address');
});

t.test('invalid input is refused without changing anything', async (t) => {
  const { io, desired, announcer } = setup();
  desired({ [VIP4]: {} });
  t.throws(() => desired({ 'not-an-ip': {} }), /not an IP address/);
  t.throws(() => desired({ 'fe80::1%eth0': {} }), TypeError);
  t.ok(io.isOpen('arp', 'eth0'));
  t.equal(announcer.status().ips.length, 1);
  t.throws(() => new Announcer({ io, clock: new VirtualClock(), logger: silentLogger, registry: new Registry(), arpScheduleMs: [] }), RangeError);
});

t.test('solicited-node groups are shared by addresses with the same low 24 bits', async (t) => {
  const { io, desired } = setup();
  desired({ '2001:db8::1:100': {}, '2001:db8:1::1:100': {} });
  const m = io.memberships.get('eth0')!;
  t.same([...m.groups], ['ff02::1:ff01:100'], 'joined once (a second join would fail with EADDRINUSE)');
  desired({ '2001:db8:1::1:100': {} });
  t.same([...m.groups], ['ff02::1:ff01:100'], 'still needed');
  desired({});
  t.same([...m.groups], []);
});

t.test('an interface that appears gets its sockets and an announcement; one that goes is cleaned up', async (t) => {
  const { io, clock, desired, events, announcer } = setup();
  desired({ [VIP4]: { interfaces: ['eth9'] } });
  const missing = events.find((e) => e.type === 'error');
  t.match(missing, { type: 'error', protocol: 'arp', interface: 'eth9', code: 'ENODEV', message: 'interface eth9 does not exist' });
  desired({ [VIP4]: { interfaces: ['eth9'] } });
  t.equal(events.filter((e) => e.type === 'error').length, 1, 'a lasting condition is reported once');

  io.interfaces.push(fakeInterface('eth9'));
  io.linkChanged();
  io.linkChanged();
  const scans = io.scans;
  clock.advance(20);
  t.equal(io.scans, scans + 1, 'a burst of link events is one rescan');
  t.equal(io.port('arp', 'eth9').sent.length, 2, 'announced on the new interface');
  t.same(announcer.status().errors, [], 'error cleared');

  const port = io.port('arp', 'eth9');
  io.interfaces = io.interfaces.filter((i) => i.name !== 'eth9');
  io.linkChanged();
  clock.advance(20);
  t.ok(port.closed);
  t.same(announcer.status().ips[0]?.announcedOn, []);
  t.equal(clock.pending, 1, 'gratuitous rounds for the vanished interface cancelled');
});

t.test('carrier loss withdraws, carrier back re-announces; a recreated interface is treated as new', async (t) => {
  const { io, clock, desired } = setup();
  desired({ [VIP4]: {} });
  io.interfaces[0]!.running = false;
  io.linkChanged();
  clock.advance(20);
  t.notOk(io.isOpen('arp', 'eth0'));
  io.interfaces[0]!.running = true;
  io.linkChanged();
  clock.advance(20);
  t.equal(io.port('arp', 'eth0').sent.length, 2, 'gratuitous again after the flap');
  const first = io.port('arp', 'eth0');
  io.interfaces = [fakeInterface('eth0')]; // same name, new index and MAC
  io.linkChanged();
  clock.advance(20);
  t.ok(first.closed);
  t.equal(unwrap(decodeEthernet(io.port('arp', 'eth0').sent[0]!)).src, io.interfaces[0]!.mac, 'announced with the new MAC');
});

t.test('socket errors: open failures are retried, receive errors withdraw and rebuild, send errors are counted', async (t) => {
  const { io, clock, desired, events, metric, askArp } = setup();
  io.openFailures.set('arp/eth0', errno('EPERM', 'AF_PACKET socket on eth0 needs CAP_NET_RAW (run as root or grant the capability)'));
  desired({ [VIP4]: {} });
  t.match(events.at(-1), { type: 'error', code: 'EPERM', message: /CAP_NET_RAW/ });
  t.notOk(io.isOpen('arp', 'eth0'));
  t.equal(await metric('shoal_l2_socket_errors_total', { code: 'EPERM' }), 1);
  desired({ [VIP4]: { interfaces: ['eth0'] } });
  desired({ [VIP4]: { interfaces: ['eth0'] } });
  t.equal(events.filter((e) => e.type === 'error').length, 1, 'a lasting failure is reported once, however often it is retried');
  t.equal(await metric('shoal_l2_socket_errors_total', { code: 'EPERM' }), 1);
  io.openFailures.clear();
  clock.advance(10_000);
  t.ok(io.isOpen('arp', 'eth0'), 'the periodic rescan retried');

  const port = io.port('arp', 'eth0');
  port.onError(errno('ENETDOWN', 'interface eth0 is down'));
  t.ok(port.closed, 'a failed socket is closed at once');
  clock.advance(20);
  t.ok(io.isOpen('arp', 'eth0'), 'and rebuilt by the rescan it triggered');

  io.port('arp', 'eth0').failSends = errno('ENOBUFS');
  clock.advance(10_000);
  t.ok((await metric('shoal_l2_gratuitous_refused_total', { protocol: 'arp' })) > 0, 'gratuitous frames refused for a full queue are counted and tried again');
  t.ok((await metric('shoal_l2_gratuitous_dropped_total', { protocol: 'arp' })) > 0, 'and given up when it stays full');
  t.equal(await metric('shoal_l2_send_errors_total', { code: 'ENOBUFS' }), 0, 'not as send errors');
  askArp('eth0', VIP4);
  t.equal(await metric('shoal_l2_send_errors_total', { code: 'ENOBUFS' }), 1, 'an answer that cannot go is a send error');
});

t.test('a conflicting claim is counted, not fought', async (t) => {
  const { io, desired, metric } = setup();
  desired({ [VIP4]: {} });
  const port = io.port('arp', 'eth0');
  const sent = port.sent.length;
  for (const frame of gratuitousArpFrames('02:00:00:00:00:42', VIP4)) port.onFrame(frame);
  t.equal(await metric('shoal_l2_requests_received_total', { verdict: 'conflict' }), 2);
  t.equal(port.sent.length, sent, 'no re-announcement war');
});

t.test('close() closes everything and leaves no timer', async (t) => {
  const { io, clock, desired, announcer } = setup();
  desired({ [VIP4]: {}, [VIP6]: {} });
  const ports = [io.port('arp', 'eth0'), io.port('ndp', 'eth0')];
  announcer.close();
  t.ok(ports.every((p) => p.closed));
  t.ok(io.memberships.get('eth0')!.closed);
  t.equal(clock.pending, 0);
  t.throws(() => desired({}), /closed/);
  announcer.close();
});

t.test('an observer that throws does not break the receive path', async (t) => {
  const io = new FakeIo();
  io.interfaces = [fakeInterface('eth0')];
  const announcer = new Announcer({
    io,
    clock: new VirtualClock(),
    logger: silentLogger,
    registry: new Registry(),
    onEvent: () => {
      throw new Error('observer bug');
    },
  });
  announcer.start();
  announcer.set(new Map([[VIP4, {}]]));
  const port = io.port('arp', 'eth0');
  t.doesNotThrow(() => port.onFrame(arpRequestFrame({ srcMac: CLIENT_MAC, senderIp: '192.0.2.99', targetIp: VIP4 })));
  t.equal(port.sent.length, 3, 'gratuitous round, then the answer');
});

t.test('the exclusion list can change while running (metallb-excludel2); MetalLB counters by ip', async (t) => {
  const { announcer, desired, metric, askArp } = setup({ interfaces: ['eth0', 'lxc1'] });
  desired({ [VIP4]: {} });
  t.same(announcer.status().ips[0]?.announcedOn, ['eth0'], 'lxc* is excluded by default');
  announcer.setExcludeInterfaces([/^eth/]);
  t.same(announcer.status().ips[0]?.announcedOn, ['lxc1'], 'a new list takes effect at once');
  askArp('lxc1', VIP4);
  t.equal(await metric('metallb_layer2_requests_received', { ip: VIP4 }), 1);
  t.equal(await metric('metallb_layer2_responses_sent', { ip: VIP4 }), 1);
  t.ok((await metric('metallb_layer2_gratuitous_sent', { ip: VIP4 })) > 0);
});

t.test('MetalLB counters by ip follow the addresses owned now: a released address takes its series with it', async (t) => {
  // Service churn hands this node address after address; each answered one
  // made three series that stayed for the life of the process.
  const { desired, metric, askArp, registry } = setup();
  const series = async (): Promise<number> => {
    let n = 0;
    for (const name of ['metallb_layer2_requests_received', 'metallb_layer2_responses_sent', 'metallb_layer2_gratuitous_sent']) n += (await registry.getSingleMetric(name)!.get()).values.length;
    return n;
  };
  desired({ [VIP4]: {} });
  askArp('eth0', VIP4);
  t.equal(await series(), 3, 'one owned, answered address: three series');
  for (let i = 1; i <= 50; i++) {
    const ip = `198.51.100.${i}`;
    desired({ [VIP4]: {}, [ip]: {} });
    askArp('eth0', ip);
    t.equal(await metric('metallb_layer2_responses_sent', { ip }), 1);
  }
  desired({ [VIP4]: {} });
  t.equal(await series(), 3, 'fifty addresses owned and released: back to the one still owned');
  t.equal(await metric('metallb_layer2_requests_received', { ip: VIP4 }), 1, 'the address still owned keeps its count');
  desired({});
  t.equal(await series(), 0, 'nothing owned: no per-address series');
});

t.test('a gratuitous round still under way when its address is released brings no series back', async (t) => {
  // The pacer counts a round when it takes the next one, which can be a
  // turn later (a turn sends at most 64 frames), after the release.
  const { desired, clock, registry } = setup();
  const gratuitousSeries = async (): Promise<number> => (await registry.getSingleMetric('metallb_layer2_gratuitous_sent')!.get()).values.length;
  const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`198.51.100.${i + 1}`, {}]));
  desired(many);
  t.ok((await gratuitousSeries()) < 100, 'the first turn has sent some of the rounds, not all');
  desired({});
  clock.advance(10_000);
  t.equal(await gratuitousSeries(), 0, 'released before their rounds were counted: no series');
  desired({ [VIP4]: {} });
  clock.advance(10_000);
  t.equal(await gratuitousSeries(), 1, 'owned again: counted again');
});

t.test('one address in two spellings is one owned address', async (t) => {
  const { desired, metric } = setup();
  desired({ [VIP6]: {}, [VIP6.toUpperCase()]: {}, [VIP6.replace('::', ':0::')]: {} });
  t.equal(await metric('shoal_l2_owned_ips', { protocol: 'ndp' }), 1);
});
