import t from 'tap';
import { cycleBoundMs, PeriodicReassert } from '../../../src/announce/l2/periodic-reassert.js';
import { VirtualClock } from '../../../src/util/clock.js';

function run(count: number, periodMs: number, maxPerSecond: number, random = () => 0.5) {
  const clock = new VirtualClock();
  const ips = Array.from({ length: count }, (_, i) => `198.51.100.${i}`);
  const sent: { at: number; ip: string }[] = [];
  const p = new PeriodicReassert({ clock, periodMs, maxPerSecond, random, addresses: () => ips, send: (ip) => sent.push({ at: clock.now(), ip }) });
  p.start();
  return { clock, sent, p, ips };
}

/** The longest gap between two rounds of one address, over the sends after `from`. */
function longestGap(sent: { at: number; ip: string }[], from: number): number {
  const last = new Map<string, number>();
  let worst = 0;
  for (const s of sent) {
    const prev = last.get(s.ip);
    if (prev !== undefined && prev >= from) worst = Math.max(worst, s.at - prev);
    last.set(s.ip, s.at);
  }
  return worst;
}

t.test('every address is re-asserted once a cycle, spread over it, within the bound', async (t) => {
  for (const random of [() => 0, () => 0.5, () => 0.999]) {
    const { clock, sent } = run(30, 3000, 1000, random);
    clock.advance(30_000);
    const perIp = new Map<string, number>();
    for (const s of sent) perIp.set(s.ip, (perIp.get(s.ip) ?? 0) + 1);
    t.equal(perIp.size, 30, 'every address');
    t.ok([...perIp.values()].every((n) => n >= 7 && n <= 13), `about ten rounds each in 30 s: ${[...new Set(perIp.values())].join(',')}`);
    t.ok(longestGap(sent, 0) <= cycleBoundMs(3000, 30, 1000), `longest gap ${longestGap(sent, 0)} ms within ${cycleBoundMs(3000, 30, 1000)} ms`);
    const perTick = new Map<number, number>();
    for (const s of sent) perTick.set(s.at, (perTick.get(s.at) ?? 0) + 1);
    t.ok(Math.max(...perTick.values()) <= 2, 'spread out, not a burst of all 30');
  }
});

t.test('thousands of addresses: the rate stays under the cap and the cycle stretches', async (t) => {
  const { clock, sent } = run(10_000, 3000, 1000);
  clock.advance(60_000);
  const perSecond = new Map<number, number>();
  for (const s of sent) perSecond.set(Math.floor(s.at / 1000), (perSecond.get(Math.floor(s.at / 1000)) ?? 0) + 1);
  t.ok(Math.max(...perSecond.values()) <= 1000, `at most 1000 a second (max ${Math.max(...perSecond.values())})`);
  const gap = longestGap(sent, 0);
  t.ok(gap <= cycleBoundMs(3000, 10_000, 1000), `longest gap ${gap} ms within the stretched bound ${cycleBoundMs(3000, 10_000, 1000)} ms`);
  t.ok(gap >= 9000, 'the cycle did stretch');
});

t.test('off, and bad options', async (t) => {
  const { clock, sent } = run(5, 0, 1000);
  clock.advance(60_000);
  t.same(sent, [], 'period 0 sends nothing');
  const clock2 = new VirtualClock();
  const base = { clock: clock2, addresses: () => [], send: () => {} };
  t.throws(() => new PeriodicReassert({ ...base, periodMs: -1, maxPerSecond: 1 }), /period/);
  t.throws(() => new PeriodicReassert({ ...base, periodMs: 1, maxPerSecond: 0 }), /rate cap/);
  t.throws(() => new PeriodicReassert({ ...base, periodMs: 1, maxPerSecond: 1, jitter: 1 }), /jitter/);
  const { clock: c3, sent: s3, p } = run(5, 1000, 1000);
  c3.advance(5000);
  const n = s3.length;
  p.stop();
  c3.advance(5000);
  t.equal(s3.length, n, 'stop() stops it');
});
