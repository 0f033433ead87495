// The announcer's side of the layer-2 hold (VirtualClock, in-memory I/O):
// links that stop and start carrying are reported before anything is done
// about them, a held link announces nothing until released, and reassert()
// sends one paced gratuitous round for addresses already announced.
import { Registry } from 'prom-client';
import t from 'tap';

import { Announcer, type AnnouncerEvent } from '../../../src/announce/l2/announcer.js';
import type { L2Target } from '../../../src/announce/l2/desired-state.js';
import { decodeArp } from '../../../src/announce/l2/arp.js';
import { gratuitousArpFrames } from '../../../src/announce/l2/arp-responder.js';
import { decodeEthernet } from '../../../src/announce/l2/ethernet.js';
import { decodeIpv6 } from '../../../src/announce/l2/ipv6.js';
import { decodeNdp } from '../../../src/announce/l2/ndp.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/log.js';
import { FakeIo, fakeInterface } from './fake-io.js';
import { arpRequestFrame } from './frames.js';
import { unwrap } from '../../support/decoded.js';

const VIP4 = '192.0.2.100';
const VIP6 = '2001:db8::100';

function setup(opts: { interfaces?: string[]; reassertBatch?: number; reassertIntervalMs?: number; onEvent?: (e: AnnouncerEvent, a: Announcer) => void } = {}) {
  const io = new FakeIo();
  io.interfaces = (opts.interfaces ?? ['eth0']).map((n) => fakeInterface(n));
  const clock = new VirtualClock();
  const events: AnnouncerEvent[] = [];
  const announcer: Announcer = new Announcer({
    io,
    clock,
    logger: silentLogger,
    registry: new Registry(),
    // Periodic re-assertion has its own tests (announcer-fencing.test.ts); off here so frames can be counted.
    reassertEveryMs: 0,
    ...(opts.reassertBatch ? { reassertBatch: opts.reassertBatch } : {}),
    ...(opts.reassertIntervalMs ? { reassertIntervalMs: opts.reassertIntervalMs } : {}),
    onEvent: (e) => {
      events.push(e);
      opts.onEvent?.(e, announcer);
    },
  });
  announcer.start();
  const desired = (entries: Record<string, L2Target>) => announcer.set(new Map(Object.entries(entries)));
  const flap = (name: string, running: boolean) => {
    io.interfaces.find((i) => i.name === name)!.running = running;
    io.linkChanged();
    clock.advance(20);
  };
  const links = () => events.filter((e) => e.type === 'link');
  return { io, clock, events, announcer, desired, flap, links };
}

t.test('links that stop and start carrying are reported; the first scan and excluded links are not', async (t) => {
  const { io, clock, flap, links } = setup({ interfaces: ['eth0', 'veth12', 'eth1'] });
  t.same(links(), [], 'nothing for the links found at start');
  flap('eth0', false);
  flap('veth12', false);
  t.same(links(), [{ type: 'link', interface: 'eth0', carrying: false }], 'eth0 lost carrier; veth* is never announced on by default');
  flap('eth0', true);
  io.interfaces = io.interfaces.filter((i) => i.name !== 'eth1');
  io.linkChanged();
  clock.advance(20);
  t.same(links().slice(1), [
    { type: 'link', interface: 'eth0', carrying: true },
    { type: 'link', interface: 'eth1', carrying: false },
  ], 'back, and gone');
});

t.test('a held link announces nothing until released, then announces with the gratuitous schedule', async (t) => {
  const { io, clock, desired, announcer, flap } = setup({
    interfaces: ['eth0', 'eth1'],
    // What the speaker's guard does: hold a link as it comes back.
    onEvent: (e, a) => {
      if (e.type === 'link' && e.carrying && e.interface === 'eth0') a.holdLink('eth0');
    },
  });
  desired({ [VIP4]: {}, [VIP6]: {} });
  clock.advance(10_000);
  const before = io.port('arp', 'eth1').sent.length;
  flap('eth0', false);
  t.notOk(io.isOpen('arp', 'eth0'), 'withdrawn on the dead link');
  flap('eth0', true);
  t.notOk(io.isOpen('arp', 'eth0'), 'the returning link is held: no socket, no answer, no gratuitous ARP');
  t.notOk(io.isOpen('ndp', 'eth0'), 'nor NDP');
  t.same(announcer.status().heldInterfaces, ['eth0']);
  t.same(announcer.status().ips.map((i) => i.announcedOn), [['eth1'], ['eth1']], 'the other link goes on');
  t.equal(io.port('arp', 'eth1').sent.length, before, 'and sends nothing new');
  desired({ [VIP4]: {} });
  announcer.releaseLinks();
  t.same(announcer.status().heldInterfaces, []);
  const arp = io.port('arp', 'eth0');
  t.same(arp.sent, gratuitousArpFrames(io.interfaces[0]!.mac!, VIP4), 'released: what is desired now is announced there, first round at once');
  t.notOk(io.isOpen('ndp', 'eth0'), 'nothing that was dropped meanwhile');
  arp.onFrame(arpRequestFrame({ srcMac: '02:00:00:00:00:99', senderIp: '192.0.2.99', targetIp: VIP4 }));
  t.equal(unwrap(decodeArp(unwrap(decodeEthernet(arp.sent.at(-1)!)).payload)).op, 'reply', 'and answered');
  clock.advance(10_000);
  t.equal(arp.sent.length, 11, 'the whole schedule (five rounds of two) and the answer');
});

t.test('holdLink outside a link event withdraws at once; holding twice and releasing nothing change nothing', async (t) => {
  const { io, desired, announcer } = setup();
  desired({ [VIP4]: {} });
  announcer.holdLink('eth0');
  announcer.holdLink('eth0');
  t.notOk(io.isOpen('arp', 'eth0'));
  announcer.releaseLinks();
  announcer.releaseLinks();
  t.ok(io.isOpen('arp', 'eth0'));
  t.equal(io.port('arp', 'eth0').sent.length, 2, 'one gratuitous round');
});

t.test('reassert: one round per announced address on each of its links, paced, unannounced ones skipped', async (t) => {
  const { io, clock, desired, announcer, events } = setup({ interfaces: ['eth0', 'eth1'], reassertBatch: 2, reassertIntervalMs: 100 });
  desired({ [VIP4]: {}, [VIP6]: { interfaces: ['eth1'] }, '192.0.2.101': {}, '192.0.2.102': {} });
  clock.advance(10_000);
  const sent = (name: string) => (['arp', 'ndp'] as const).reduce((n, p) => n + (io.isOpen(p, name) ? io.port(p, name).sent.length : 0), 0);
  const gratuitous = () => events.filter((e) => e.type === 'gratuitous').length;
  const start = { eth0: sent('eth0'), eth1: sent('eth1'), events: gratuitous() };

  announcer.reassert(['2001:DB8::0100', VIP4, '192.0.2.101', '192.0.2.102', '192.0.2.200', 'not an address', VIP4]);
  t.equal(gratuitous() - start.events, 3, 'the first batch at once: two addresses (IPv6 on one link, IPv4 on two)');
  const na = unwrap(decodeNdp(unwrap(decodeIpv6(unwrap(decodeEthernet(io.port('ndp', 'eth1').sent.at(-1)!)).payload)).payload));
  t.match(na, { type: 'neighbor-advertisement', solicited: false, override: true, target: VIP6 }, 'an unsolicited NA');
  t.notOk(io.isOpen('ndp', 'eth0'), 'only where the address is announced');
  desired({ [VIP4]: {}, [VIP6]: { interfaces: ['eth1'] }, '192.0.2.101': {} });
  clock.advance(99);
  t.equal(gratuitous() - start.events, 3, 'the next batch waits for the interval');
  clock.advance(1);
  t.equal(gratuitous() - start.events, 5, 'then 192.0.2.101 on both links; 192.0.2.102 was released meanwhile, 192.0.2.200 never announced');
  t.equal(sent('eth0') - start.eth0, 4, 'eth0: two ARP rounds of two frames');
  t.equal(sent('eth1') - start.eth1, 5, 'eth1: two ARP rounds and one NA');
  clock.advance(1000);
  t.equal(gratuitous() - start.events, 5, 'each address once');
  announcer.reassert([VIP4]);
  t.equal(gratuitous() - start.events, 7, 'an idle queue sends at once again');
  announcer.close();
  t.equal(clock.pending, 0, 'close() leaves no timer');
});

t.test('reassert options are validated before anything is registered', async (t) => {
  const registry = new Registry();
  const base = { io: new FakeIo(), clock: new VirtualClock(), logger: silentLogger, registry };
  t.throws(() => new Announcer({ ...base, reassertBatch: 0 }), /reassertBatch must be a positive integer/);
  t.throws(() => new Announcer({ ...base, reassertIntervalMs: -1 }), /reassertIntervalMs must be a positive number/);
  t.equal((await registry.getMetricsAsJSON()).length, 0);
});
