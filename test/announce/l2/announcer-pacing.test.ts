// A takeover of many addresses at once: every first round within 1 s on the
// virtual clock, never more frames in a window than the budget, repeats
// only after every first round, and frames the kernel refuses sent later,
// not lost.

import { Registry } from 'prom-client';
import t, { type Test } from 'tap';

import { Announcer, type AnnouncerEvent } from '../../../src/announce/l2/announcer.js';
import { DEFAULT_GRATUITOUS_BURST, DEFAULT_GRATUITOUS_FRAMES_PER_SECOND, MAX_FRAMES_PER_TURN } from '../../../src/announce/l2/frame-pacer.js';
import { DEFAULT_ARP_SCHEDULE_MS, DEFAULT_NDP_SCHEDULE_MS } from '../../../src/announce/l2/gratuitous.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/log.js';
import { FakeIo, fakeInterface } from './fake-io.js';

/** The IPv4 documentation ranges: 768 addresses. */
const V4_BLOCKS = ['192.0.2', '198.51.100', '203.0.113'];

/** count addresses: the first v4 (at most 768) IPv4 (ARP), the rest IPv6 (NDP). */
function addresses(count: number, v4: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(i < v4 ? `${V4_BLOCKS[i >> 8]!}.${i & 255}` : `2001:db8:1::${(i + 1).toString(16)}`);
  return out;
}

function setup(opts: { framesPerSecond?: number; burst?: number } = {}) {
  const io = new FakeIo();
  io.interfaces = [fakeInterface('eth0')];
  const clock = new VirtualClock();
  const registry = new Registry();
  /** Send time of every frame, in order, over every port. */
  const sentAt: number[] = [];
  io.onOpen = (port) => {
    port.onSend = () => sentAt.push(clock.now());
  };
  const rounds: { ip: string; at: number }[] = [];
  const announcer = new Announcer({
    io,
    clock,
    logger: silentLogger,
    registry,
    reassertEveryMs: 0,
    ...(opts.framesPerSecond ? { gratuitousFramesPerSecond: opts.framesPerSecond } : {}),
    ...(opts.burst ? { gratuitousBurst: opts.burst } : {}),
    onEvent: (e: AnnouncerEvent) => {
      if (e.type === 'gratuitous') rounds.push({ ip: e.ip, at: clock.now() });
    },
  });
  announcer.start();
  const metric = async (name: string): Promise<number> => {
    const m = registry.getSingleMetric(name);
    if (!m) throw new Error(`no metric ${name}`);
    return (await m.get()).values.reduce((s, v) => s + v.value, 0);
  };
  const take = (ips: string[]) => announcer.set(new Map(ips.map((ip) => [ip, {}])));
  return { io, clock, announcer, sentAt, rounds, metric, take };
}

/** The most frames in any window of windowMs. */
function worstWindow(times: readonly number[], windowMs: number): number {
  let worst = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[j]! <= times[i]! - windowMs) j++;
    worst = Math.max(worst, i - j + 1);
  }
  return worst;
}

/** Checks that every address's first round precedes every repeat, and returns when the last first round went. */
function firstsBeforeRepeats(t: Test, rounds: readonly { ip: string; at: number }[], count: number): number {
  const seen = new Set<string>();
  let lastFirst = -1;
  let firstRepeat = Infinity;
  rounds.forEach((r, i) => {
    if (seen.has(r.ip)) firstRepeat = Math.min(firstRepeat, i);
    else {
      seen.add(r.ip);
      lastFirst = i;
    }
  });
  t.equal(seen.size, count, 'every address had its first round');
  t.ok(lastFirst < firstRepeat, 'no repeat before every first round was sent');
  return rounds[lastFirst]!.at;
}

t.test('1,000 addresses, as many IPv4 as documentation has (768): every first round within 1 s, within the budget, repeats after', async (t) => {
  const { clock, sentAt, rounds, metric, take } = setup();
  const ips = addresses(1000, 768);
  t.equal(new Set(ips).size, 1000);
  take(ips);
  t.equal(sentAt.length, MAX_FRAMES_PER_TURN, 'the first turn of the burst goes before set() returns');
  clock.advance(0);
  t.equal(sentAt.length, DEFAULT_GRATUITOUS_BURST, 'the rest of the burst in the turns that follow, at once');
  clock.advance(10_000);
  const lastFirst = firstsBeforeRepeats(t, rounds, 1000);
  t.ok(lastFirst <= 1000, `the last first round went at ${lastFirst} ms`);
  t.equal(sentAt.length, 768 * 2 * DEFAULT_ARP_SCHEDULE_MS.length + 232 * DEFAULT_NDP_SCHEDULE_MS.length, 'every round of every address (ARP: two frames each)');
  const worst = worstWindow(sentAt, 1000);
  t.ok(worst <= DEFAULT_GRATUITOUS_BURST + DEFAULT_GRATUITOUS_FRAMES_PER_SECOND, `at most burst + rate frames in any second (saw ${worst})`);
  t.equal(await metric('shoal_l2_gratuitous_refused_total'), 0);
  t.equal(clock.pending, 1, 'only the rescan timer left');
});

t.test('1,000 mixed addresses (50 IPv4, 950 IPv6): first rounds within 1 s, repeats after', async (t) => {
  const { clock, sentAt, rounds, take } = setup();
  take(addresses(1000, 50));
  clock.advance(10_000);
  const lastFirst = firstsBeforeRepeats(t, rounds, 1000);
  t.ok(lastFirst <= 1000, `the last first round went at ${lastFirst} ms`);
  t.equal(sentAt.length, 50 * 2 * DEFAULT_ARP_SCHEDULE_MS.length + 950 * DEFAULT_NDP_SCHEDULE_MS.length);
});

t.test('a small budget: no window over it, and the takeover still completes in order', async (t) => {
  const { clock, sentAt, rounds, take } = setup({ framesPerSecond: 1000, burst: 50 });
  take(addresses(300, 300));
  clock.advance(30_000);
  firstsBeforeRepeats(t, rounds, 300);
  t.equal(sentAt.length, 300 * 2 * DEFAULT_ARP_SCHEDULE_MS.length);
  for (const windowMs of [20, 100, 1000]) {
    const worst = worstWindow(sentAt, windowMs);
    t.ok(worst <= 50 + windowMs, `at most ${50 + windowMs} frames in any ${windowMs} ms (saw ${worst})`);
  }
});

t.test('frames the kernel refuses are sent later and counted, none dropped', async (t) => {
  const { io, clock, sentAt, rounds, metric, take } = setup();
  io.onOpen = (port) => {
    // Every 100th send finds the queue full, twice in a row.
    let n = 0;
    const send = port.send.bind(port);
    port.send = (frame: Buffer) => {
      if (++n % 100 === 0) port.refuseSends = 2;
      send(frame);
      sentAt.push(clock.now());
    };
  };
  take(addresses(1000, 768));
  clock.advance(10_000);
  const lastFirst = firstsBeforeRepeats(t, rounds, 1000);
  t.ok(lastFirst <= 1000, `refusals and all, the last first round went at ${lastFirst} ms`);
  t.ok((await metric('shoal_l2_gratuitous_refused_total')) > 0, 'refusals counted');
  t.equal(await metric('shoal_l2_gratuitous_dropped_total'), 0, 'none given up');
  t.equal(await metric('shoal_l2_gratuitous_sent_total'), 768 * 2 * DEFAULT_ARP_SCHEDULE_MS.length + 232 * DEFAULT_NDP_SCHEDULE_MS.length, 'every frame sent in the end');
  t.ok(sentAt.length > 0);
});

t.test('addresses released while their round waits are skipped', async (t) => {
  const { clock, rounds, take, announcer } = setup({ framesPerSecond: 100, burst: 10 });
  const ips = addresses(100, 100);
  take(ips);
  take(ips.slice(0, 20));
  clock.advance(60_000);
  t.same(new Set(rounds.map((r) => r.ip)), new Set(ips.slice(0, 20)), 'only the addresses still held got rounds after the release');
  t.equal(announcer.status().ips.length, 20);
});
