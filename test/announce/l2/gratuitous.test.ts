import t from 'tap';

import { DEFAULT_ARP_SCHEDULE_MS, DEFAULT_NDP_SCHEDULE_MS, GratuitousSchedule, validateSchedule, type Cohort } from '../../../src/announce/l2/gratuitous.js';
import { VirtualClock } from '../../../src/util/clock.js';

/** A schedule whose rounds are "sent" at once: each member's round is recorded as `ip@ms`. */
function recorder(clock: VirtualClock, start = 0) {
  const fired: string[] = [];
  const rounds: { cohort: Cohort; round: number }[] = [];
  const s: GratuitousSchedule = new GratuitousSchedule(clock, (cohort, round) => {
    rounds.push({ cohort, round });
    for (const ip of cohort.ips) if (s.isMember(cohort, ip)) fired.push(`${ip}@${clock.now() - start}`);
    s.roundDone(cohort);
  });
  return { s, fired, rounds };
}

t.test('rounds fire at their delays, the first when the pass is sealed', async (t) => {
  const clock = new VirtualClock(1000);
  const { s, fired } = recorder(clock, 1000);
  s.add('eth0', 'a', [0, 250, 1000]);
  t.same(fired, [], 'nothing before seal');
  s.seal();
  t.same(fired, ['a@0'], 'zero delay is handed on by seal');
  t.equal(s.remaining('eth0', 'a'), 2);
  clock.advance(5000);
  t.same(fired, ['a@0', 'a@250', 'a@1000']);
  t.equal(s.remaining('eth0', 'a'), 0);
  t.equal(s.size, 0, 'members leave after the last round');
});

t.test('addresses taken in one pass share one cohort and one timer', async (t) => {
  const clock = new VirtualClock();
  const { s, rounds } = recorder(clock);
  const delays = [0, 100, 200];
  for (let i = 0; i < 10_000; i++) s.add('eth0', `ip${i}`, delays);
  s.add('eth1', 'x', delays);
  s.seal();
  t.equal(rounds.length, 2, 'one first round per interface, not per address');
  t.equal(rounds[0]!.cohort.ips.length, 10_000);
  t.equal(clock.pending, 1, 'one timer for the whole schedule');
  clock.advance(150);
  t.equal(rounds.length, 4);
  t.equal(clock.pending, 1);
  clock.advance(1000);
  t.equal(rounds.length, 6);
  t.equal(clock.pending, 0, 'no timer left behind');
});

t.test('cohorts of different passes interleave by due time', async (t) => {
  const clock = new VirtualClock();
  const { s, fired } = recorder(clock);
  s.add('eth0', 'a', [0, 100, 200]);
  s.seal();
  clock.advance(50);
  s.add('eth0', 'b', [50, 120]);
  s.seal();
  clock.advance(1000);
  t.same(fired, ['a@0', 'a@100', 'b@100', 'b@170', 'a@200']);
});

t.test('cancel stops what is pending at once; taking again starts a new schedule', async (t) => {
  const clock = new VirtualClock();
  const { s, fired } = recorder(clock);
  s.add('eth0', 'a', [0, 100, 200]);
  s.add('eth0', 'b', [0, 100, 200]);
  s.seal();
  clock.advance(120);
  s.cancel('eth0', 'a');
  t.equal(s.remaining('eth0', 'a'), 0);
  clock.advance(1000);
  t.same(fired, ['a@0', 'b@0', 'a@100', 'b@100', 'b@200']);
  fired.length = 0;
  s.add('eth0', 'c', [0, 100]);
  s.seal();
  clock.advance(50);
  s.cancel('eth0', 'c');
  s.add('eth0', 'c', [0, 100]);
  s.seal();
  clock.advance(1000);
  t.same(fired, ['c@1120', 'c@1170', 'c@1270'], 'the first schedule of c ended when it was taken again');
  s.add('eth0', 'd', [0, 10]);
  s.seal();
  s.cancelAll();
  clock.advance(100);
  t.equal(fired.filter((f) => f.startsWith('d@')).length, 1);
  t.equal(clock.pending, 0, 'no timer left behind');
});

t.test('a member stays on its cohort until the round handed on is done', async (t) => {
  const clock = new VirtualClock();
  const held: Cohort[] = [];
  const s = new GratuitousSchedule(clock, (cohort) => held.push(cohort));
  s.add('eth0', 'a', [0]);
  s.seal();
  t.equal(held.length, 1);
  t.ok(s.isMember(held[0]!, 'a'), 'last round handed on but not sent: still a member');
  s.roundDone(held[0]!);
  t.notOk(s.isMember(held[0]!, 'a'));
  t.equal(s.size, 0);
});

t.test('schedules are validated', async (t) => {
  t.same(validateSchedule('x', [0, 0, 5]), [0, 0, 5]);
  t.throws(() => validateSchedule('x', []), /at least one round/);
  t.throws(() => validateSchedule('x', [0, -1]), /x\[1\]: -1/);
  t.throws(() => validateSchedule('x', [0, Infinity]), RangeError);
  t.throws(() => validateSchedule('x', [100, 50]), /comes before the previous round/);
  t.doesNotThrow(() => validateSchedule('arp', DEFAULT_ARP_SCHEDULE_MS));
  t.same(DEFAULT_NDP_SCHEDULE_MS.length, 3, 'RFC 4861 MAX_NEIGHBOR_ADVERTISEMENT');
  t.ok(DEFAULT_NDP_SCHEDULE_MS.every((d, i) => i === 0 || d - DEFAULT_NDP_SCHEDULE_MS[i - 1]! >= 1000), 'at least RetransTimer apart');
});
