// The ready rule of delayed failback: the owner is the first eligible member
// on the ring that is ready; when no eligible member is ready, the first
// eligible one. Tables for the cases, then properties over random views:
// every speaker with the same view elects the same owners, and an address
// has an owner exactly when some live member is eligible for it.
import fc from 'fast-check';
import t from 'tap';
import { Election } from '../../src/announce/election.js';
import { EXCLUDE_LB_LABEL } from '../../src/announce/election-inputs.js';
import type { ElectionInputs, ElectionMember } from '../../src/announce/election-inputs.js';
import type { MemberState } from '../../src/cluster/messages.js';
import { addresses, config, inputs, node, reordered, rng, service } from './election-support.js';

const POOL = config({ default: ['192.0.2.0/24', '2001:db8::/64'] });
const NAMES = ['node-a', 'node-b', 'node-c', 'node-d', 'node-e'];
const IPS = [...addresses(6), ...addresses(2, 6)];

/** Members with a readiness each: true, false or undefined (a member from before the flag). */
function view(ready: Record<string, boolean | undefined>, state: (n: string) => MemberState = () => 'alive', excluded: readonly string[] = []): ElectionInputs {
  const names = Object.keys(ready);
  return inputs({
    config: POOL,
    members: names.map((name): ElectionMember => (ready[name] === undefined ? { name, state: state(name) } : { name, state: state(name), ready: ready[name] })),
    nodes: new Map(names.map((n) => [n, node(excluded.includes(n) ? { [EXCLUDE_LB_LABEL]: '' } : {})])),
    services: IPS.map((ip, i) => service(`s${i}`, [ip])),
  });
}

const ownerOf = (i: ElectionInputs, ip: string): string | undefined => new Election().compute(i).decisions.get(ip)?.owner;
const ringOrder = (i: ElectionInputs, ip: string): string[] => new Election().explain(ip, i)!.ring.map((c) => c.member);

t.test('the ready rule, case by case', async (t) => {
  const all = Object.fromEntries(NAMES.map((n) => [n, true]));
  for (const ip of IPS) {
    const order = ringOrder(view(all), ip);
    const [first, second, third] = order as [string, string, string];
    t.equal(ownerOf(view(all), ip), first, `${ip}: all ready: the first on the ring`);
    t.equal(ownerOf(view({ ...all, [first]: false }), ip), second, `${ip}: the first warming up: the next ready one`);
    t.equal(ownerOf(view({ ...all, [first]: false, [second]: false }), ip), third, `${ip}: two warming up: the third`);
    t.equal(ownerOf(view({ ...all, [first]: undefined }), ip), first, `${ip}: a member that says nothing counts as ready`);
    const none = Object.fromEntries(NAMES.map((n) => [n, false]));
    t.equal(ownerOf(view(none), ip), first, `${ip}: nobody ready (a cold start): the first eligible, as without the rule`);
    t.equal(ownerOf(view({ ...none, [third]: true }), ip), third, `${ip}: only one ready: that one`);
    t.equal(ownerOf(view({ ...all, [second]: false }, () => 'alive', [first]), ip), order[2], `${ip}: the first excluded, the second warming up: the third`);
    const onlyUnready = view({ ...none, [third]: true }, () => 'alive', [third]);
    t.equal(ownerOf(onlyUnready, ip), first, `${ip}: the only ready member is not eligible: the first eligible one`);
    const deadReady = view({ ...none, [third]: true }, (n) => (n === third ? 'dead' : 'alive'));
    t.equal(ownerOf(deadReady, ip), first, `${ip}: a dead member's flag counts for nothing`);
  }
});

t.test('explain lists a member passed over as not ready, and no one when readiness played no part', async (t) => {
  const ip = IPS[0]!;
  const all = Object.fromEntries(NAMES.map((n) => [n, true]));
  const [first, second] = ringOrder(view(all), ip) as [string, string];
  const warming = view({ ...all, [first]: false });
  const ex = new Election().explain(ip, warming)!;
  t.same(
    ex.ring.slice(0, 2).map((c) => [c.member, c.verdict, c.reasons.map((r) => r.code)]),
    [
      [first, 'skipped', ['not-ready']],
      [second, 'owner', []],
    ],
  );
  t.match(ex.ring[0]!.reasons[0]!.detail, /not ready \(warming up\)/);
  t.same(ex.decision, new Election().compute(warming).decisions.get(ip), 'the decision compute makes');
  const cold = new Election().explain(ip, view(Object.fromEntries(NAMES.map((n) => [n, false]))))!;
  t.equal(cold.decision.owner, first);
  t.ok(
    cold.ring.every((c) => c.reasons.length === 0),
    'nobody ready: nobody is said to be skipped for it',
  );
});

t.test('the ready flag never rebuilds the ring', async (t) => {
  const e = new Election();
  const all = Object.fromEntries(NAMES.map((n) => [n, true]));
  e.compute(view(all));
  e.compute(view({ ...all, [NAMES[0]!]: false }));
  e.compute(view(all));
  t.equal(e.ringRebuilds, 1);
});

const views = fc.record({
  ready: fc.array(fc.constantFrom(true, false, undefined), { minLength: NAMES.length, maxLength: NAMES.length }),
  state: fc.array(fc.constantFrom<MemberState>('alive', 'alive', 'suspect', 'dead', 'left'), { minLength: NAMES.length, maxLength: NAMES.length }),
  excluded: fc.subarray(NAMES),
  local: fc.boolean(),
  endpoints: fc.subarray(NAMES),
  seed: fc.integer({ min: 1, max: 2 ** 31 }),
});

function build(g: { ready: (boolean | undefined)[]; state: MemberState[]; excluded: string[]; local: boolean; endpoints: string[] }): ElectionInputs {
  return inputs({
    config: POOL,
    members: NAMES.map((name, k): ElectionMember => {
      const ready = g.ready[k];
      return ready === undefined ? { name, state: g.state[k]! } : { name, state: g.state[k]!, ready };
    }),
    nodes: new Map(NAMES.map((n) => [n, node(g.excluded.includes(n) ? { [EXCLUDE_LB_LABEL]: '' } : {})])),
    services: IPS.map((ip, k) => service(`s${k}`, [ip], { local: g.local, endpointNodes: g.endpoints })),
  });
}

t.test('every speaker with the same view elects the same owners (property)', async () => {
  fc.assert(
    fc.property(views, (g) => {
      const base = build(g);
      const reference = JSON.stringify([...new Election().compute(base).decisions]);
      const random = rng(g.seed);
      for (let speaker = 0; speaker < 4; speaker++) {
        const got = JSON.stringify([...new Election().compute(reordered(base, random)).decisions]);
        if (got !== reference) throw new Error(`speaker ${speaker} disagrees:\n${got}\n${reference}`);
      }
    }),
    { numRuns: 300 },
  );
});

t.test('an address has an owner exactly when a live member is eligible, and a ready one whenever one is eligible (property)', async () => {
  fc.assert(
    fc.property(views, (g) => {
      const i = build(g);
      const allReady = { ...i, members: i.members.map(({ name, state }) => ({ name, state })) };
      const withRule = new Election().compute(i);
      const without = new Election().compute(allReady);
      const e = new Election();
      for (const ip of IPS) {
        const owner = withRule.decisions.get(ip)!.owner;
        const plain = without.decisions.get(ip)!.owner;
        if ((owner === undefined) !== (plain === undefined)) throw new Error(`${ip}: owner ${owner} with the rule, ${plain} without`);
        if (owner === undefined) continue;
        const eligible = e.explain(ip, allReady)!.ring.filter((c) => c.verdict !== 'skipped').map((c) => c.member);
        const readyEligible = eligible.filter((m) => i.members.find((x) => x.name === m)?.ready !== false);
        const expected = readyEligible[0] ?? eligible[0];
        if (owner !== expected) throw new Error(`${ip}: owner ${owner}, expected ${expected} (eligible ${eligible.join(' ')}, ready ${readyEligible.join(' ')})`);
      }
    }),
    { numRuns: 300 },
  );
});
