// Solicited-node group joins that fail are retried with backoff until they
// succeed or are no longer needed, and each problem is reported once: a
// socket that refuses joins (out of option memory), and an interface past
// the joined limit whose all-multicast membership is refused.
import { Registry } from 'prom-client';
import t from 'tap';

import { Announcer, type AnnouncerEvent } from '../../../src/announce/l2/announcer.js';
import { MulticastGroups } from '../../../src/announce/l2/multicast-groups.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { createLogger } from '../../../src/util/log.js';
import { errno, FakeIo, FakeMembership, fakeInterface } from './fake-io.js';

/** Retries after 1, 2, 4 and then every 8 s: the jitter is pinned to none. */
const RETRY = { initialMs: 1000, maxMs: 8000 };

function setup() {
  const io = new FakeIo();
  io.interfaces = [fakeInterface('eth0')];
  const clock = new VirtualClock();
  const registry = new Registry();
  const events: AnnouncerEvent[] = [];
  const lines: { level: string; msg: string }[] = [];
  const logger = createLogger({ level: 'info', sink: (l) => lines.push(JSON.parse(l) as { level: string; msg: string }) });
  // Rescans every 10 minutes and no periodic re-assertion: only the join retries run on their own.
  const announcer = new Announcer({ io, clock, logger, registry, random: () => 0, joinRetry: RETRY, rescanIntervalMs: 600_000, reassertEveryMs: 0, onEvent: (e) => events.push(e) });
  const desired = (ips: string[]) => announcer.set(new Map(ips.map((ip) => [ip, {}])));
  const socketErrors = async (code: string): Promise<number> =>
    (await registry.getSingleMetric('shoal_l2_socket_errors_total')!.get()).values.filter((v) => v.labels['code'] === code).reduce((n, v) => n + v.value, 0);
  const eth0 = () => announcer.status().interfaces.find((i) => i.name === 'eth0');
  const errorLines = () => lines.filter((l) => l.level === 'error');
  return { io, clock, events, lines, announcer, desired, socketErrors, eth0, errorLines };
}

const VIPS = ['2001:db8::1', '2001:db8::2', '2001:db8::3', '2001:db8::4', '2001:db8::5'];
const groupOf = (ip: string): string => `ff02::1:ff00:${ip.split('::')[1]}`;

t.test('joins a socket refuses are retried with backoff until they succeed; the problem is reported once', async (t) => {
  const { io, clock, events, lines, announcer, desired, socketErrors, eth0, errorLines } = setup();
  announcer.start();
  const membership = new FakeMembership();
  membership.failJoins = 'ENOMEM';
  io.membershipFactory = () => membership;
  desired(VIPS.slice(0, 2));
  t.ok(io.isOpen('ndp', 'eth0'), 'the addresses are announced all the same (unicast solicitations still reach us)');
  t.same(eth0()?.groups, [], 'no group joined');
  t.equal(eth0()?.unjoinedGroups, 2, 'both wanted');
  t.equal(events.filter((e) => e.type === 'error').length, 1, 'one error for two failed joins');
  t.equal(await socketErrors('ENOMEM'), 1);
  t.equal(membership.joinAttempts, 2);

  clock.advance(999);
  t.equal(membership.joinAttempts, 2, 'nothing before the first backoff');
  clock.advance(1);
  t.equal(membership.joinAttempts, 4, 'both tried again after 1 s');
  clock.advance(2000);
  t.equal(membership.joinAttempts, 6, 'then after 2 s');
  desired(VIPS.slice(0, 3));
  t.equal(membership.joinAttempts, 7, 'a new address tries its group at once');
  clock.advance(3999);
  t.equal(membership.joinAttempts, 7, 'and does not hasten the retries of the others');
  clock.advance(1);
  t.equal(membership.joinAttempts, 10, 'then all three after 4 s');
  clock.advance(8000);
  t.equal(membership.joinAttempts, 13, 'at most every 8 s (the cap)');
  t.equal(events.filter((e) => e.type === 'error').length, 1, 'still one error, however often retried');
  t.equal(await socketErrors('ENOMEM'), 1, 'and counted once');
  t.equal(errorLines().length, 1, 'and logged once');
  t.match(announcer.status().errors, [{ protocol: 'ndp', interface: 'eth0', code: 'ENOMEM' }], 'shown in the status while it lasts');

  membership.failJoins = undefined;
  clock.advance(8000);
  t.same(eth0()?.groups.sort(), VIPS.slice(0, 3).map(groupOf).sort(), 'every group joined once the socket takes them');
  t.same([...membership.groups].sort(), VIPS.slice(0, 3).map(groupOf).sort());
  t.equal(eth0()?.unjoinedGroups, 0);
  t.same(announcer.status().errors, [], 'the problem is over');
  t.equal(lines.filter((l) => l.msg.includes('no solicited-node group left unjoined')).length, 1, 'and its end logged once');
  const attempts = membership.joinAttempts;
  clock.advance(120_000);
  t.equal(membership.joinAttempts, attempts, 'no retry once every group is joined');

  // A new problem is reported anew.
  membership.failJoins = 'ENOMEM';
  desired(VIPS.slice(0, 4));
  t.equal(await socketErrors('ENOMEM'), 2, 'a problem that starts again is counted again');
  // Withdrawn before it could be joined: the retries stop.
  desired(VIPS.slice(0, 3));
  t.equal(eth0()?.unjoinedGroups, 0);
  const before = membership.joinAttempts;
  clock.advance(120_000);
  t.equal(membership.joinAttempts, before, 'a group no longer needed is not retried');
  announcer.close();
  t.equal(clock.pending, 0, 'close leaves no timer');
});

t.test('past the joined limit, a refused all-multicast membership is retried until granted', async (t) => {
  const { io, clock, events, announcer, desired, socketErrors, eth0, errorLines } = setup();
  let grant = false;
  let tries = 0;
  let allOpen = 0;
  const sockets: FakeMembership[] = [];
  io.membershipFactory = () =>
    new MulticastGroups({
      open: () => {
        const s = new FakeMembership();
        sockets.push(s);
        return s;
      },
      openAllMulticast: () => {
        tries++;
        if (!grant) throw errno('EPERM', 'setsockopt(PACKET_ADD_MEMBERSHIP) on eth0 failed: Operation not permitted');
        allOpen++;
        return { close: () => allOpen-- };
      },
      maxJoined: 2,
    });
  announcer.start();
  desired(VIPS);
  t.same(eth0()?.groups.sort(), VIPS.slice(0, 2).map(groupOf).sort(), 'joined one by one up to the limit');
  t.equal(eth0()?.unjoinedGroups, 3, 'the groups past it wait for all-multicast');
  t.equal(tries, 1, 'all-multicast tried once in the pass, not once a group');
  t.equal(events.filter((e) => e.type === 'error').length, 1);
  t.equal(await socketErrors('EPERM'), 1);

  clock.advance(1000);
  t.equal(tries, 2, 'tried again after the backoff');
  clock.advance(2000);
  t.equal(tries, 3);
  t.equal(eth0()?.unjoinedGroups, 3);
  t.equal(errorLines().length, 1, 'logged once');
  t.equal(await socketErrors('EPERM'), 1, 'counted once');

  grant = true;
  clock.advance(4000);
  t.equal(tries, 4);
  t.equal(allOpen, 1, 'all-multicast granted');
  t.equal(eth0()?.unjoinedGroups, 0, 'every group past the limit is received through it');
  t.equal(eth0()?.groups.length, 5);
  t.equal(sockets.reduce((n, s) => n + s.groups.size, 0), 2, 'without a kernel membership each past the limit');
  t.same(announcer.status().errors, []);
  clock.advance(120_000);
  t.equal(tries, 4, 'no retry once granted');

  // The groups past the limit go: all-multicast is given up at the end of the pass.
  desired(VIPS.slice(0, 2));
  t.equal(allOpen, 0);
  announcer.close();
  t.equal(clock.pending, 0);
});
