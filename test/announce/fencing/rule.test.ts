import fc from 'fast-check';
import t from 'tap';
import { MemberRing } from '../../../src/announce/election-ring.js';
import { claimWinner, ClaimResolver, resolveClaim } from '../../../src/announce/fencing/rule.js';

const nameArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
const ipArb = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `198.51.${a}.${b}`),
  fc.nat(0xffff).map((n) => `2001:db8::${n.toString(16)}`),
);

/** Whether `self` elects itself for ip from `view` (the members it sees alive, itself included). */
function claims(self: string, view: readonly string[], ip: string): boolean {
  const ring = new MemberRing(40);
  ring.setMembers([...view, self]);
  return ring.walk(ip, () => true) === self;
}

t.test('two claimants reach the same winner, whichever side evaluates', async () => {
  fc.assert(
    fc.property(fc.uniqueArray(nameArb, { minLength: 2, maxLength: 2 }), ipArb, ([a, b], ip) => {
      const onA = resolveClaim(ip, a!, { kind: 'member', name: b! });
      const onB = resolveClaim(ip, b!, { kind: 'member', name: a! });
      // Exactly one side wins and the other yields: never both, never neither.
      if (!((onA === 'win' && onB === 'yield') || (onA === 'yield' && onB === 'win'))) throw new Error(`${ip}: ${a} says ${onA}, ${b} says ${onB}`);
      if (claimWinner(ip, a!, b!) !== claimWinner(ip, b!, a!)) throw new Error('claimWinner depends on argument order');
    }),
    { numRuns: 500 },
  );
});

t.test('for every pair of membership views, a claimed address never ends with zero answerers, and two claimants end with one', async () => {
  // Each side elects from its own view; those that elect themselves claim
  // the address on the wire; each claimant sees the others' claims and
  // yields to any that beats it. The views are arbitrary (a partition, a
  // one-way fault, a stale list): the rule must not need them to agree.
  fc.assert(
    fc.property(
      fc.uniqueArray(nameArb, { minLength: 2, maxLength: 7 }),
      ipArb,
      fc.array(fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }), { minLength: 7, maxLength: 7 }),
      (members, ip, seen) => {
        const views = members.map((self, i) => members.filter((m, j) => m === self || seen[i]![j]!));
        const claimants = members.filter((self, i) => claims(self, views[i]!, ip));
        const resolvers = new Map(members.map((m) => [m, new ClaimResolver(m)]));
        const answerers = claimants.filter((self) => claimants.every((other) => other === self || resolvers.get(self)!.resolve(ip, { kind: 'member', name: other }) === 'win'));
        if (claimants.length > 0 && answerers.length !== 1) {
          throw new Error(`${ip}: claimants ${claimants.join(',')} left ${answerers.length} answerers (${answerers.join(',')})`);
        }
      },
    ),
    { numRuns: 300 },
  );
});

t.test('the winner is the claimant a healed cluster holding both would elect first of the two', async () => {
  fc.assert(
    fc.property(fc.uniqueArray(nameArb, { minLength: 3, maxLength: 8 }), ipArb, (members, ip) => {
      const ring = new MemberRing();
      ring.setMembers(members);
      const order = ring.order(ip);
      const [a, b] = [members[0]!, members[1]!];
      const expected = order.indexOf(a) < order.indexOf(b) ? a : b;
      if (claimWinner(ip, a, b) !== expected) throw new Error(`${ip}: ${claimWinner(ip, a, b)} won, full ring prefers ${expected}`);
    }),
    { numRuns: 100 },
  );
});

t.test('claims that are ours or from outside the cluster are never contests', async (t) => {
  t.equal(resolveClaim('192.0.2.10', 'a', { kind: 'self' }), 'ignore');
  t.equal(resolveClaim('192.0.2.10', 'a', { kind: 'member', name: 'a' }), 'ignore');
  t.equal(resolveClaim('192.0.2.10', 'a', { kind: 'unknown', mac: '02:00:00:00:00:99' }), 'unknown-host');
  t.throws(() => claimWinner('192.0.2.10', 'a', 'a'), /two claimants/);
});
