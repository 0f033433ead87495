// Which membership events are a member coming back, and which addresses an
// owner re-asserts for it.
import t from 'tap';
import type { MemberEvent } from '../../src/cluster/cluster.js';
import type { MemberState } from '../../src/cluster/messages.js';
import { addressesToReassert, returningMember } from '../../src/speaker/reassert-on-return.js';

const event = (kind: MemberEvent['kind'], previous: MemberState | undefined): MemberEvent => ({
  kind,
  previous,
  member: { name: 'n2', address: { host: '192.0.2.12', port: 7946 }, state: 'alive', incarnation: 3, meta: {}, since: 0, verified: true },
});

t.test('a member comes back when it is alive again after dead or left', async (t) => {
  t.equal(returningMember(event('join', 'dead')), 'n2');
  t.equal(returningMember(event('join', 'left')), 'n2');
  t.equal(returningMember(event('join', undefined)), undefined, 'a new member held layer 2 while it joined: nothing to undo');
  t.equal(returningMember(event('alive', 'suspect')), undefined, 'a suspect was live for everyone all along');
  t.equal(returningMember(event('update', 'alive')), undefined);
});

t.test('the announced addresses any returning member is eligible for, once each', async (t) => {
  const eligible: Record<string, string[]> = { n2: ['192.0.2.1', '192.0.2.2'], n3: ['192.0.2.2', '2001:db8::1'] };
  const eligibleFor = (member: string, ips: Iterable<string>): string[] => [...ips].filter((ip) => eligible[member]?.includes(ip));
  const announced = new Set(['192.0.2.1', '192.0.2.2', '192.0.2.3', '2001:db8::1']);
  t.same(addressesToReassert(announced, ['n2', 'n3'], eligibleFor).sort(), ['192.0.2.1', '192.0.2.2', '2001:db8::1']);
  t.same(addressesToReassert(announced, ['n9'], eligibleFor), [], 'eligible for nothing we announce');
  t.same(addressesToReassert(new Set(), ['n2'], eligibleFor), [], 'we announce nothing');
});
