// The fence on the virtual clock: alone with a recording announcer, then two
// real announcers on one simulated segment (the in-memory L2Io, frames one
// sends delivered to the other) settling a split brain.

import { Registry } from 'prom-client';
import t from 'tap';

import { Fence, type FenceAnnouncer, type LiveConflict } from '../../../src/announce/fencing/fence.js';
import { MacDirectory, macsMeta } from '../../../src/announce/fencing/member-macs.js';
import { claimWinner } from '../../../src/announce/fencing/rule.js';
import { Announcer, type AnnouncerEvent } from '../../../src/announce/l2/announcer.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/log.js';
import { arpRequestFrame, nsFrame } from '../l2/frames.js';
import { FakeIo, fakeInterface } from '../l2/fake-io.js';

const VIP4 = '192.0.2.100';
const VIP6 = '2001:db8::100';
const CLIENT_MAC = '02:00:00:00:00:c1';

class RecordingL2 implements FenceAnnouncer {
  yielded = new Set<string>();
  bursts: { ips: string[]; delays: readonly number[] | undefined }[] = [];
  setYielded(ips: Iterable<string>): void {
    this.yielded = new Set(ips);
  }
  reassert(ips: Iterable<string>, delays?: readonly number[]): void {
    this.bursts.push({ ips: [...ips], delays });
  }
}

function fenceFor(self: string, opts: { resolve?: boolean; macs?: Record<string, string>; inView?: (member: string) => boolean } = {}) {
  const clock = new VirtualClock();
  const l2 = new RecordingL2();
  const registry = new Registry();
  const dir = new MacDirectory(self);
  dir.learn(Object.entries(opts.macs ?? {}).map(([mac, name]) => ({ name, meta: macsMeta([mac]) })));
  dir.setOwn(['02:00:00:00:00:01']);
  const conflicts: LiveConflict[] = [];
  const fence = new Fence({
    self,
    clock,
    logger: silentLogger,
    registry,
    l2,
    attribute: (m) => dir.attribute(m),
    ...(opts.inView ? { inView: opts.inView } : {}),
    resolve: opts.resolve ?? true,
    yieldMs: 10_000,
    onConflict: (c) => conflicts.push({ ...c }),
  });
  return { clock, l2, registry, dir, fence, conflicts };
}

// Names picked so each side of the contest is exercised: who wins VIP4 between "a" and "b".
const WINNER = claimWinner(VIP4, 'a', 'b');
const LOSER = WINNER === 'a' ? 'b' : 'a';

t.test('the loser yields while the winner keeps claiming, and answers again once it falls quiet', async (t) => {
  const { clock, l2, fence, conflicts } = fenceFor(LOSER, { macs: { '02:00:00:00:00:0b': WINNER } });
  fence.claim(VIP4, 'arp', 'eth0', { mac: '02:00:00:00:00:0b', probe: false });
  t.same([...l2.yielded], [VIP4], 'yielded at once');
  t.same(l2.bursts, [], 'a loser does not re-assert');
  t.equal(conflicts[0]?.resolution, 'yielded');
  t.equal(conflicts[0]?.member, WINNER);
  for (let i = 0; i < 5; i++) {
    clock.advance(9000);
    fence.claim(VIP4, 'arp', 'eth0', { mac: '02:00:00:00:00:0b', probe: false });
    t.same([...l2.yielded], [VIP4], `still yielded at ${clock.now()} ms: the winner keeps claiming`);
  }
  clock.advance(9999);
  t.same([...l2.yielded], [VIP4], 'just before the yield lapses');
  clock.advance(1);
  t.same([...l2.yielded], [], 'the yield lapsed: the address is answered again');
  t.equal(conflicts.length, 1, 'one conflict reported, not one per claim');
});

t.test('a claim from a member in our view is a handover the election decides: never yielded to', async (t) => {
  // The heal: the winner's last heal-burst round arrives after it is back in
  // view and has let the address go; yielding to it would leave no answerer.
  let inView = true;
  const { l2, fence, conflicts } = fenceFor(LOSER, { macs: { '02:00:00:00:00:0b': WINNER }, inView: () => inView });
  fence.claim(VIP4, 'arp', 'eth0', { mac: '02:00:00:00:00:0b', probe: false });
  t.same([...l2.yielded], [], 'still answered');
  t.equal(conflicts[0]?.resolution, 'won', 'kept, as the election says');
  t.same(l2.bursts.map((b) => b.ips), [[VIP4]], 'and re-asserted, so clients the claim pulled away come back');
  inView = false;
  fence.claim(VIP4, 'arp', 'eth0', { mac: '02:00:00:00:00:0b', probe: false });
  t.same([...l2.yielded], [VIP4], 'out of view, the rule decides again: yielded');
});

t.test('a yield ends at once when the winner comes back into view, or the address stops being ours', async (t) => {
  const { l2, fence } = fenceFor(LOSER, { macs: { '02:00:00:00:00:0b': WINNER } });
  fence.claim(VIP4, 'arp', 'eth0', { mac: '02:00:00:00:00:0b', probe: false });
  fence.memberReturned('somebody-else');
  t.same([...l2.yielded], [VIP4]);
  fence.memberReturned(WINNER);
  t.same([...l2.yielded], [], 'the election decides between members that see each other');
  fence.claim(VIP4, 'arp', 'eth0', { mac: '02:00:00:00:00:0b', probe: false });
  t.same([...l2.yielded], [VIP4]);
  fence.owned(new Set(['192.0.2.1']));
  t.same([...l2.yielded], [], 'not ours any more');
  t.same(fence.yielded(), new Map());
});

t.test('the winner re-asserts once per interval, however often the loser claims', async (t) => {
  const { clock, l2, fence, registry } = fenceFor(WINNER, { macs: { '02:00:00:00:00:0a': LOSER } });
  for (let i = 0; i < 20; i++) {
    fence.claim(VIP4, 'arp', 'eth0', { mac: '02:00:00:00:00:0a', probe: false });
    clock.advance(100);
  }
  t.same(l2.bursts, [{ ips: [VIP4], delays: [0, 500, 2000] }], 'one burst in 2 s of claims');
  t.same([...l2.yielded], []);
  clock.advance(5000);
  fence.claim(VIP4, 'arp', 'eth0', { mac: '02:00:00:00:00:0a', probe: false });
  t.equal(l2.bursts.length, 2, 'another after the interval');
  t.match(await registry.metrics(), new RegExp(`shoal_l2_conflicts_total\\{address="${VIP4.replace(/\./g, '\\.')}",resolution="won"\\} 1`));
  t.equal(fence.status()[0]?.resolution, 'won');
});

t.test('a host outside the cluster is reported, never fought', async (t) => {
  const { clock, l2, fence, conflicts } = fenceFor('a');
  for (let i = 0; i < 50; i++) {
    fence.claim(VIP4, 'arp', 'eth0', { mac: '02:00:00:00:00:99', probe: false });
    clock.advance(200);
  }
  t.same(l2.bursts, [], 'no burst');
  t.same([...l2.yielded], [], 'no yield');
  t.equal(conflicts.length, 1);
  t.same(fence.status().map((c) => [c.mac, c.member, c.resolution]), [['02:00:00:00:00:99', undefined, 'unknown-host']]);
  clock.advance(10_000);
  t.same(fence.status(), [], 'gone from the live list once its claims stop');
});

t.test("a claimant first seen before its MACs were gossiped is named once they are, and the contest resolved as a member's", async (t) => {
  // A member starting up can claim an address before it is in our view
  // (it elected itself from a partial view); its MACs come with it.
  const { dir, l2, fence, conflicts, registry } = fenceFor(WINNER);
  const mac = '02:00:00:00:00:0b';
  fence.claim(VIP4, 'arp', 'eth0', { mac, probe: false });
  t.same(fence.status().map((c) => [c.member, c.resolution]), [[undefined, 'unknown-host']], 'an unknown MAC is an unknown host');
  dir.learn([{ name: LOSER, meta: macsMeta([mac]) }]);
  fence.claim(VIP4, 'arp', 'eth0', { mac, probe: false });
  t.same(fence.status().map((c) => [c.mac, c.member, c.resolution]), [[mac, LOSER, 'won']], 'the live conflict names the member and is won');
  t.same(l2.bursts.map((b) => b.ips), [[VIP4]], 'and the winner re-asserts');
  t.same(conflicts.map((c) => [c.member, c.resolution]), [[undefined, 'unknown-host'], [LOSER, 'won']], 'the observer hears of both');
  const counted = (await registry.getSingleMetric('shoal_l2_conflicts_total')!.get()).values.map((v) => [v.labels['resolution'], v.value]);
  t.same(counted, [['unknown-host', 1], ['won', 1]]);

  // Named with the same resolution (a probe): the observer is told, nothing more is counted.
  const probe = fenceFor(WINNER);
  probe.fence.claim(VIP4, 'arp', 'eth0', { mac, probe: true });
  probe.dir.learn([{ name: LOSER, meta: macsMeta([mac]) }]);
  probe.fence.claim(VIP4, 'arp', 'eth0', { mac, probe: true });
  t.same(probe.conflicts.map((c) => [c.member, c.resolution]), [[undefined, 'probe'], [LOSER, 'probe']]);
  t.same((await probe.registry.getSingleMetric('shoal_l2_conflicts_total')!.get()).values.map((v) => v.value), [1]);
});

t.test('probes, our own MACs, and resolution off', async (t) => {
  const own = fenceFor(LOSER, { macs: { '02:00:00:00:00:0b': WINNER } });
  own.fence.claim(VIP4, 'arp', 'eth1', { mac: '02:00:00:00:00:01', probe: false });
  t.same(own.fence.status(), [], 'our other interface is not a claimant');
  own.fence.claim(VIP4, 'arp', 'eth0', { mac: '02:00:00:00:00:0b', probe: true });
  t.same([...own.l2.yielded], [], 'a probe is reported, not yielded to');
  t.equal(own.conflicts[0]?.resolution, 'probe');
  const off = fenceFor(LOSER, { resolve: false, macs: { '02:00:00:00:00:0b': WINNER } });
  off.fence.claim(VIP4, 'arp', 'eth0', { mac: '02:00:00:00:00:0b', probe: false });
  t.same([...off.l2.yielded], [], 'resolution off: nothing yielded');
  t.same(off.l2.bursts, []);
  t.equal(off.conflicts[0]?.resolution, 'reported');
});

// ---------------------------------------------------------------- two announcers on one segment

interface Node {
  name: string;
  io: FakeIo;
  announcer: Announcer;
  fence: Fence;
  mac: string;
  delivered: Map<unknown, number>;
  connected: boolean;
}

function segment(names: [string, string], reassertEveryMs = 3000) {
  const clock = new VirtualClock();
  const dirs = names.map((n) => new MacDirectory(n));
  const nodes: Node[] = names.map((name, i) => {
    const io = new FakeIo();
    io.interfaces = [fakeInterface('eth0')];
    const node = { name, io, mac: io.interfaces[0]!.mac!, delivered: new Map(), connected: true } as Node;
    node.announcer = new Announcer({
      io,
      clock,
      logger: silentLogger,
      registry: new Registry(),
      reassertEveryMs,
      random: () => 0.5,
      onEvent: (e: AnnouncerEvent) => {
        if (e.type === 'verdict' && e.claim && e.ip) node.fence.claim(e.ip, e.protocol, e.interface, e.claim);
        if (e.type === 'macs') dirs[i]!.setOwn(e.macs);
      },
    });
    node.fence = new Fence({ self: name, clock, logger: silentLogger, registry: new Registry(), l2: node.announcer, attribute: (m) => dirs[i]!.attribute(m), resolve: true, yieldMs: 3 * 3600 + 1000 });
    return node;
  });
  // Each learned the other's MACs before the partition.
  for (const d of dirs) d.learn(nodes.map((n) => ({ name: n.name, meta: macsMeta([n.mac]) })));
  /** Delivers what each sent since the last pump to the other, until nothing new. */
  const pump = (): void => {
    for (let round = 0; round < 10; round++) {
      let moved = false;
      for (const from of nodes) {
        if (!from.connected) continue;
        for (const ports of from.io.opened.values()) {
          for (const port of ports) {
            const done = from.delivered.get(port) ?? 0;
            const fresh = port.sent.slice(done);
            from.delivered.set(port, port.sent.length);
            for (const frame of fresh) {
              moved = true;
              const protocol = frame.readUInt16BE(12) === 0x0806 ? 'arp' : 'ndp';
              for (const to of nodes) if (to !== from && to.io.isOpen(protocol, 'eth0')) to.io.port(protocol, 'eth0').onFrame(frame);
            }
          }
        }
      }
      if (!moved) return;
    }
  };
  const step = (ms: number): void => {
    for (let done = 0; done < ms; done += 50) {
      clock.advance(50);
      pump();
    }
  };
  return { clock, nodes, pump, step };
}

function answering(n: Node, ip: string): boolean {
  return n.announcer.status().ips.some((i) => i.ip === ip && i.announcedOn.length > 0);
}

/** Who answers a client's question for ip: the nodes whose responder replies. */
function answerers(nodes: Node[], ip: string): string[] {
  const out: string[] = [];
  for (const n of nodes) {
    const protocol = ip.includes(':') ? 'ndp' : 'arp';
    if (!n.io.isOpen(protocol, 'eth0')) continue;
    const port = n.io.port(protocol, 'eth0');
    const before = port.sent.length;
    port.onFrame(protocol === 'arp' ? arpRequestFrame({ srcMac: CLIENT_MAC, senderIp: '192.0.2.1', targetIp: ip }) : nsFrame({ srcMac: CLIENT_MAC, src: '2001:db8::1', target: ip }));
    if (port.sent.length > before) out.push(n.name);
    n.delivered.set(port, port.sent.length);
  }
  return out;
}

t.test('two members announcing one address settle on one answerer, never zero, and the survivor takes over when the winner dies', async (t) => {
  for (const ip of [VIP4, VIP6]) {
    const { nodes, step, pump } = segment(['a', 'b']);
    const winner = claimWinner(ip, 'a', 'b');
    for (const n of nodes) n.announcer.start();
    // Both elect themselves (each sees the other dead): both announce.
    for (const n of nodes) n.announcer.set(new Map([[ip, {}]]));
    pump();
    t.same(answerers(nodes, ip), [winner], `${ip}: one answerer right after both took over`);
    for (let s = 0; s < 40; s++) {
      step(500);
      t.ok(nodes.some((n) => answering(n, ip)), `${ip}: someone answers at ${s * 0.5 + 0.5} s`);
      const who = answerers(nodes, ip);
      if (who.length !== 1 || who[0] !== winner) t.fail(`${ip}: answerers ${who.join(',')} at ${s * 0.5 + 0.5} s`);
    }
    const loser = nodes.find((n) => n.name !== winner)!;
    t.same(loser.announcer.status().yielded, [ip], 'the loser yields the address');
    // The winner dies: its frames stop. The loser answers again within the yield window.
    const w = nodes.find((n) => n.name === winner)!;
    w.connected = false;
    w.announcer.close();
    let resumedAfter: number | undefined;
    for (let ms = 0; ms <= 20_000 && resumedAfter === undefined; ms += 250) {
      step(250);
      if (answering(loser, ip)) resumedAfter = ms;
    }
    t.ok(resumedAfter !== undefined && resumedAfter <= 3 * 3600 + 1000, `${ip}: the loser answers again ${resumedAfter} ms after the winner fell silent`);
    loser.announcer.close();
    for (const n of nodes) n.fence.close();
  }
});
