import fc from 'fast-check';
import t from 'tap';
import { Election, ownedBy } from '../../src/announce/election.js';
import type { Decision, ElectionResult } from '../../src/announce/election.js';
import { EXCLUDE_LB_LABEL } from '../../src/announce/election-inputs.js';
import type { ElectionInputs, ElectionMember } from '../../src/announce/election-inputs.js';
import { addresses, config, inputs, members, node, plainNodes, reordered, rng, service } from './election-support.js';

const POOL = config({ default: ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/64'] });
const NAMES = ['node-a', 'node-b', 'node-c', 'node-d', 'node-e'];

const owners = (r: ElectionResult): Map<string, string | undefined> => new Map([...r.decisions].map(([ip, d]) => [ip, d.owner]));
const decision = (r: ElectionResult, ip: string): Decision => {
  const d = r.decisions.get(ip);
  if (!d) throw new Error(`no decision for ${ip}`);
  return d;
};

/** A cluster where every node is eligible for every IP: what the ring alone decides. */
function open(names: readonly string[], ips: readonly string[]): ElectionInputs {
  return inputs({ config: POOL, members: members(names), nodes: plainNodes(names), services: ips.map((ip, i) => service(`s${i}`, [ip])) });
}

/** The ring order from an IP, as explain() reports it. */
function ringOrder(e: Election, ip: string, i: ElectionInputs): string[] {
  return e.explain(ip, i)!.ring.map((c) => c.member);
}

t.test('every speaker elects the same owners from the same inputs in any order', async () => {
  const eligibility = fc.record({
    excluded: fc.subarray(NAMES),
    unavailable: fc.subarray(NAMES),
    zoneB: fc.subarray(NAMES),
    dead: fc.subarray(NAMES),
    suspect: fc.subarray(NAMES),
    services: fc.array(
      fc.record({
        ips: fc.subarray(['192.0.2.1', '192.0.2.2', '198.51.100.7', '2001:db8::1', '2001:db8::a'], { minLength: 1, maxLength: 2 }),
        local: fc.boolean(),
        endpointNodes: fc.subarray(NAMES),
        tier: fc.constantFrom('web', 'db'),
      }),
      { maxLength: 8 },
    ),
    seed: fc.integer({ min: 1, max: 2 ** 31 }),
  });
  const cfg = config(
    { default: ['192.0.2.0/24', '198.51.100.0/24', '2001:db8::/64'] },
    {
      web: { serviceSelectors: [{ matchLabels: { tier: 'web' } }], interfaces: ['eth0'] },
      zoned: { nodeSelectors: [{ matchLabels: { zone: 'b' } }], interfaces: ['eth1'] },
    },
  );
  fc.assert(
    fc.property(eligibility, (g) => {
      const base = inputs({
        config: cfg,
        members: NAMES.map((name): ElectionMember => ({ name, state: g.dead.includes(name) ? 'dead' : g.suspect.includes(name) ? 'suspect' : 'alive' })),
        nodes: new Map(NAMES.map((n) => [n, node({ ...(g.excluded.includes(n) ? { [EXCLUDE_LB_LABEL]: '' } : {}), ...(g.zoneB.includes(n) ? { zone: 'b' } : {}), rack: n }, g.unavailable.includes(n))])),
        services: g.services.map((s, i) => service(`svc-${i}`, s.ips, { local: s.local, endpointNodes: s.endpointNodes, labels: { tier: s.tier, app: `a${i}` } })),
      });
      const reference = JSON.stringify([...new Election().compute(base).decisions]);
      const random = rng(g.seed);
      // Five speakers, each with its own Election (own ring cache) and its own view of the inputs.
      for (let speaker = 0; speaker < 5; speaker++) {
        const got = JSON.stringify([...new Election().compute(reordered(base, random)).decisions]);
        if (got !== reference) throw new Error(`speaker ${speaker} disagrees:\n${got}\n${reference}`);
      }
    }),
    { numRuns: 200 },
  );
});

t.test('minimal movement: a dead member takes only its own IPs with it, and gets exactly those back', async () => {
  const ips = addresses(300, 4).concat(addresses(100, 6));
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/), { minLength: 2, maxLength: 20 }),
      fc.nat(),
      fc.subarray(ips, { minLength: 1, maxLength: 120 }),
      (names, pick, someIps) => {
        const victim = names[pick % names.length]!;
        const all = open(names, someIps);
        const without = { ...all, members: [...all.members].map((m) => (m.name === victim ? { ...m, state: 'dead' as const } : m)) };
        // A speaker running throughout, and speakers started during and after
        // the outage (no ring history) must all agree.
        const longLived = new Election({ vnodes: 40 });
        const before = owners(longLived.compute(all));
        const during = owners(longLived.compute(without));
        const after = owners(longLived.compute(all));
        if (JSON.stringify([...during]) !== JSON.stringify([...owners(new Election({ vnodes: 40 }).compute(without))])) throw new Error('a fresh speaker disagrees during the outage');
        if (JSON.stringify([...after]) !== JSON.stringify([...owners(new Election({ vnodes: 40 }).compute(all))])) throw new Error('a fresh speaker disagrees after the return');
        for (const [ip, owner] of before) {
          if (owner !== victim && during.get(ip) !== owner) throw new Error(`${ip} moved from ${owner} to ${during.get(ip)} when ${victim} died`);
          if (owner === victim && (during.get(ip) === victim || during.get(ip) === undefined)) throw new Error(`${ip} not taken over`);
          if (after.get(ip) !== owner) throw new Error(`${ip} is on ${after.get(ip)} after ${victim} came back, was on ${owner}`);
        }
      },
    ),
    { numRuns: 150 },
  );
});

t.test('minimal movement holds with eligibility filters too (Local services, excluded nodes)', async (t) => {
  const names = Array.from({ length: 9 }, (_, i) => `n${i}`);
  const random = rng(7);
  const svcs = addresses(200).map((ip, i) => service(`s${i}`, [ip], { local: i % 2 === 0, endpointNodes: names.filter(() => random() < 0.4) }));
  const nodes = new Map(names.map((n, i) => [n, node(i === 3 ? { [EXCLUDE_LB_LABEL]: 'true' } : {})]));
  const election = new Election();
  const all = inputs({ config: POOL, members: members(names), nodes, services: svcs });
  const before = owners(election.compute(all));
  for (const victim of names) {
    const during = owners(election.compute({ ...all, members: members(names.filter((n) => n !== victim)) }));
    let moved = 0;
    for (const [ip, owner] of before) {
      if (owner !== victim) t.equal(during.get(ip), owner, `${ip} stays when ${victim} dies`);
      else moved++;
    }
    t.same(owners(election.compute(all)), before, `${victim} back: all ${moved} of its IPs return, nothing else moves`);
  }
});

t.test('live means alive or suspect', async (t) => {
  const ip = '192.0.2.10';
  const all = open(NAMES, [ip]);
  const e = new Election();
  const order = ringOrder(e, ip, all);
  const first = order[0]!;
  const withState = (state: ElectionMember['state']): ElectionInputs => ({ ...all, members: members(NAMES).map((m) => (m.name === first ? { ...m, state } : m)) });
  t.equal(decision(e.compute(withState('suspect')), ip).owner, first, 'suspect still owns');
  t.equal(decision(e.compute(withState('dead')), ip).owner, order[1], 'dead: next on the ring');
  t.equal(decision(e.compute(withState('left')), ip).owner, order[1], 'left: next on the ring');
  const ex = e.explain(ip, withState('dead'))!;
  t.same(ex.notLive, [{ node: first, state: 'dead' }]);
  t.notOk(ex.ring.some((c) => c.member === first), 'a dead member is not on the ring');
});

t.test('each eligibility filter passes over the first member on the ring with its reason', async (t) => {
  const ip = '198.51.100.20';
  const base = open(NAMES, [ip]);
  const e = new Election();
  const [first, second] = ringOrder(e, ip, base) as [string, string];
  const cases: { name: string; code: string; change: (i: ElectionInputs) => ElectionInputs }[] = [
    { name: 'no Node object', code: 'unknown-node', change: (i) => ({ ...i, nodes: new Map([...i.nodes].filter(([n]) => n !== first)) }) },
    { name: 'exclude label', code: 'excluded-label', change: (i) => ({ ...i, nodes: new Map(i.nodes).set(first, node({ [EXCLUDE_LB_LABEL]: '' })) }) },
    { name: 'NetworkUnavailable', code: 'network-unavailable', change: (i) => ({ ...i, nodes: new Map(i.nodes).set(first, node({}, true)) }) },
    {
      name: 'nodeSelectors',
      code: 'no-l2advertisement-selects-node',
      change: (i) => ({
        ...i,
        config: config({ default: ['198.51.100.0/24'] }, { picky: { nodeSelectors: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: [first] }] }] } }),
        nodes: new Map([...i.nodes].map(([n]) => [n, node({ 'kubernetes.io/hostname': n })])),
      }),
    },
    {
      name: 'Local without an endpoint here',
      code: 'no-ready-endpoint',
      change: (i) => ({ ...i, services: [service('s0', [ip], { local: true, endpointNodes: NAMES.filter((n) => n !== first) })] }),
    },
  ];
  for (const c of cases) {
    const changed = c.change(base);
    const r = e.compute(changed);
    t.equal(decision(r, ip).owner, second, `${c.name}: ${first} passed over, ${second} owns`);
    const ex = e.explain(ip, changed)!;
    t.same(ex.decision, decision(r, ip), `${c.name}: explain agrees with compute`);
    t.same(
      ex.ring.slice(0, 2).map((v) => [v.member, v.verdict, v.reasons.map((x) => x.code)]),
      [
        [first, 'skipped', [c.code]],
        [second, 'owner', []],
      ],
      `${c.name}: reason ${c.code}`,
    );
  }
  const excluded = { ...base, nodes: new Map(base.nodes).set(first, node({ [EXCLUDE_LB_LABEL]: '' })) };
  t.equal(decision(new Election({ ignoreExcludeLB: true }).compute(excluded), ip).owner, first, 'ignoreExcludeLB keeps an excluded node eligible');
});

t.test('explanation lists every skipped candidate with all its reasons, and who is next in line', async (t) => {
  const ip = '203.0.113.5';
  const e = new Election();
  const order = ringOrder(e, ip, open(NAMES, [ip]));
  const [a, b, c, d] = order as [string, string, string, string];
  const nodes = plainNodes(NAMES);
  nodes.set(a, node({ [EXCLUDE_LB_LABEL]: '' }, true));
  nodes.set(b, node({}, true));
  nodes.delete(c);
  const i = inputs({ config: POOL, members: [...members(NAMES), { name: 'node-z', state: 'left' }], nodes: nodes.set('node-y', node()), services: [service('web', [ip], { local: true, endpointNodes: [d, order[4]!] })] });
  const ex = e.explain(ip, i)!;
  t.same(
    ex.ring.map((v) => [v.member, v.verdict, v.reasons.map((r) => r.code)]),
    [
      [a, 'skipped', ['excluded-label', 'network-unavailable', 'no-ready-endpoint']],
      [b, 'skipped', ['network-unavailable', 'no-ready-endpoint']],
      [c, 'skipped', ['unknown-node']],
      [d, 'owner', []],
      [order[4], 'eligible', []],
    ],
  );
  t.equal(ex.decision.owner, d);
  t.same(ex.notLive, [
    { node: 'node-y', state: 'no-member' },
    { node: 'node-z', state: 'left' },
  ]);
  t.match(ex.ring[0]!.reasons[2]!.detail, /default\/web has externalTrafficPolicy Local/);
  t.same(e.compute(i).decisions.get(ip), ex.decision, 'compute agrees');
});

t.test('Local policy follows the endpoints', async (t) => {
  const ip = '192.0.2.77';
  const e = new Election();
  const order = ringOrder(e, ip, open(NAMES, [ip]));
  const at = (endpointNodes: string[]): string | undefined =>
    decision(e.compute(inputs({ config: POOL, members: members(NAMES), nodes: plainNodes(NAMES), services: [service('web', [ip], { local: true, endpointNodes })] })), ip).owner;
  const last = order[order.length - 1]!;
  t.equal(at([last]), last, 'the only node with an endpoint owns it, however far round the ring');
  t.equal(at([order[3]!, order[1]!]), order[1], 'the first node on the ring with an endpoint');
  t.equal(at([order[3]!]), order[3], 'the endpoint moved: so did the IP');
  const none = decision(e.compute(inputs({ config: POOL, members: members(NAMES), nodes: plainNodes(NAMES), services: [service('web', [ip], { local: true, endpointNodes: ['elsewhere'] })] })), ip);
  t.same(none.noOwner?.code, 'no-eligible-member', 'endpoints only on a node that is not a member');
  // Cluster policy ignores where the endpoints are.
  const cluster = decision(e.compute(inputs({ config: POOL, members: members(NAMES), nodes: plainNodes(NAMES), services: [service('web', [ip], { endpointNodes: [last] })] })), ip);
  t.equal(cluster.owner, order[0]);
});

t.test('a service with no serving endpoint is not announced, whatever its policy (as MetalLB)', async (t) => {
  const ip = '192.0.2.9';
  const e = new Election();
  for (const local of [false, true]) {
    const d = decision(e.compute(inputs({ config: POOL, members: members(NAMES), nodes: plainNodes(NAMES), services: [service('idle', [ip], { local, serving: false })] })), ip);
    t.equal(d.owner, undefined);
    t.same(d.noOwner?.code, 'no-serving-endpoint', `local=${local}`);
    t.same(d.skippedServices.map((s) => s.code), ['no-serving-endpoint']);
    t.same(d.services, ['default/idle']);
  }
});

t.test('services sharing an IP elect once; the owner must serve every Local sharer', async (t) => {
  const ip = '198.51.100.80';
  const e = new Election();
  const order = ringOrder(e, ip, open(NAMES, [ip]));
  const run = (...svcs: ReturnType<typeof service>[]): ElectionResult => e.compute(inputs({ config: POOL, members: members(NAMES), nodes: plainNodes(NAMES), services: svcs }));

  const cluster = run(service('http', [ip]), service('dns', [ip], { namespace: 'infra' }));
  t.equal(cluster.decisions.size, 1, 'one decision for the shared IP');
  t.same(decision(cluster, ip).services, ['default/http', 'infra/dns'].sort());
  t.equal(decision(cluster, ip).owner, order[0]);

  // Local sharers with the same pods (what the allocator allows): the nodes with endpoints.
  const same = run(service('http', [ip], { local: true, endpointNodes: [order[2]!, order[4]!] }), service('https', [ip], { local: true, endpointNodes: [order[4]!, order[2]!] }));
  t.equal(decision(same, ip).owner, order[2]);

  // Endpoint lists that disagree (slices of two services updated at different moments): a node with both.
  const skew = run(service('http', [ip], { local: true, endpointNodes: [order[1]!, order[3]!] }), service('https', [ip], { local: true, endpointNodes: [order[3]!] }));
  t.equal(decision(skew, ip).owner, order[3], 'the first node serving both');

  // Mixed policies: the Cluster sharer does not constrain, the Local one does.
  const mixed = run(service('http', [ip]), service('https', [ip], { local: true, endpointNodes: [order[2]!] }));
  t.equal(decision(mixed, ip).owner, order[2]);

  // No node serves both: no owner rather than an owner that drops one sharer's traffic.
  const apart = run(service('http', [ip], { local: true, endpointNodes: [order[1]!] }), service('https', [ip], { local: true, endpointNodes: [order[2]!] }));
  t.same(decision(apart, ip).noOwner?.code, 'no-eligible-member');
  const ex = e.explain(ip, inputs({ config: POOL, members: members(NAMES), nodes: plainNodes(NAMES), services: [service('http', [ip], { local: true, endpointNodes: [order[1]!] }), service('https', [ip], { local: true, endpointNodes: [order[2]!] })] }))!;
  t.same(ex.ring[1]!.reasons.map((r) => r.detail), ['default/https has externalTrafficPolicy Local and no ready or serving endpoint on this node']);

  // A sharer without endpoints steps aside; the other is still announced.
  const idle = run(service('http', [ip]), service('https', [ip], { serving: false }));
  t.equal(decision(idle, ip).owner, order[0]);
  t.same(decision(idle, ip).skippedServices.map((s) => [s.service, s.code]), [['default/https', 'no-serving-endpoint']]);
});

t.test('a dual-stack service: each address is its own election', async (t) => {
  const e = new Election();
  const r = e.compute(inputs({ config: POOL, members: members(NAMES), nodes: plainNodes(NAMES), services: [service('web', ['192.0.2.50', '2001:DB8:0::0:50'])] }));
  t.same([...r.decisions.keys()], ['192.0.2.50', '2001:db8::50'], 'canonical text, IPv4 first');
  for (const ip of r.decisions.keys()) t.equal(decision(r, ip).owner, ringOrder(e, ip, open(NAMES, [ip]))[0]);
});

t.test('a service with one address in non-canonical text, or not an address', async (t) => {
  const e = new Election();
  const r = e.compute(inputs({ config: POOL, members: members(NAMES), nodes: plainNodes(NAMES), services: [service('one', ['2001:DB8::0:51']), service('bad', ['192.0.2.300'])] }));
  t.same([...r.decisions.keys()], ['2001:db8::51'], 'held under its canonical text');
  t.same(decision(r, '2001:db8::51').services, ['default/one']);
  t.same(r.problems.map((p) => [p.service, p.field]), [['default/bad', 'ips[0]']], 'the bad address is reported with its field');
});

t.test('advertisements: nodeSelectors, serviceSelectors, interfaces', async (t) => {
  const ip = '192.0.2.30';
  const cfg = config(
    { default: ['192.0.2.0/24'] },
    {
      'lan-a': { nodeSelectors: [{ matchLabels: { lan: 'a' } }], interfaces: ['eth1', 'eth0'] },
      'lan-a-vlan': { nodeSelectors: [{ matchLabels: { lan: 'a' } }], interfaces: ['vlan10'], serviceSelectors: [{ matchLabels: { tier: 'web' } }] },
      'lan-b': { nodeSelectors: [{ matchLabels: { lan: 'b' } }] },
      'db-only': { nodeSelectors: [{ matchLabels: { lan: 'c' } }], serviceSelectors: [{ matchLabels: { tier: 'db' } }] },
    },
  );
  const nodes = new Map([
    ['a1', node({ lan: 'a' })],
    ['b1', node({ lan: 'b' })],
    ['c1', node({ lan: 'c' })],
  ]);
  const e = new Election();
  const run = (labels: Record<string, string>, owner: string[]): Decision => {
    const i = inputs({ config: cfg, members: members(owner), nodes, services: [service('s', [ip], { labels })] });
    return decision(e.compute(i), ip);
  };
  t.same(run({}, ['a1']).interfaces, ['eth0', 'eth1'], 'interfaces of the advertisement selecting the node, sorted');
  t.same(run({ tier: 'web' }, ['a1']).interfaces, ['eth0', 'eth1', 'vlan10'], 'union over advertisements selecting node and service');
  t.equal(run({}, ['b1']).interfaces, 'all', 'an advertisement without interfaces: every interface');
  t.same(run({}, ['c1']).noOwner?.code, 'no-eligible-member', 'c1 is selected only for db services');
  t.equal(run({ tier: 'db' }, ['c1']).owner, 'c1');

  const only = config({ default: ['192.0.2.0/24'] }, { 'db-only': { serviceSelectors: [{ matchLabels: { tier: 'db' } }] } });
  const d = decision(e.compute(inputs({ config: only, members: members(['a1']), nodes, services: [service('s', [ip], { labels: { tier: 'web' } })] })), ip);
  t.same([d.noOwner?.code, d.skippedServices.map((s) => s.code)], ['no-l2advertisement-selects-service', ['no-l2advertisement-selects-service']]);
});

t.test('owner none, with the reason', async (t) => {
  const e = new Election();
  const cfg = config({ l2: ['192.0.2.0/24'], bgp: ['198.51.100.0/24'] }, { only: { ipAddressPools: ['l2'] } });
  const r = e.compute(
    inputs({
      config: cfg,
      members: members(['a']),
      nodes: plainNodes(['a']),
      services: [service('bgp-only', ['198.51.100.1']), service('stray', ['203.0.113.1']), service('ok', ['192.0.2.1'])],
    }),
  );
  t.same(
    [...r.decisions.values()].map((d) => [d.ip, d.owner, d.noOwner?.code, d.pool]),
    [
      ['192.0.2.1', 'a', undefined, 'l2'],
      ['198.51.100.1', undefined, 'no-l2advertisement-for-pool', 'bgp'],
      ['203.0.113.1', undefined, 'ip-not-in-any-pool', undefined],
    ],
  );
  const nobody = e.compute(inputs({ config: cfg, members: members(['a'], 'dead'), nodes: plainNodes(['a']), services: [service('ok', ['192.0.2.1'])] }));
  t.same(decision(nobody, '192.0.2.1').noOwner?.code, 'no-live-member');
  t.same(decision(nobody, '192.0.2.1').interfaces, []);
  const allExcluded = e.compute(inputs({ config: cfg, members: members(['a']), nodes: new Map([['a', node({ [EXCLUDE_LB_LABEL]: '' })]]), services: [service('ok', ['192.0.2.1'])] }));
  t.match(decision(allExcluded, '192.0.2.1').noOwner, { code: 'no-eligible-member', message: /none of the 1 live member is eligible/ });
  t.same(e.explain('192.0.2.1', inputs({ config: cfg, members: members(['a'], 'dead'), nodes: plainNodes(['a']), services: [service('ok', ['192.0.2.1'])] }))!.ring, [], 'nothing to walk');
});

t.test('bad inputs are reported and left out', async (t) => {
  const e = new Election();
  const r = e.compute(
    inputs({
      config: POOL,
      members: members(['a']),
      nodes: plainNodes(['a']),
      services: [service('twice', ['192.0.2.1']), service('twice', ['192.0.2.2']), service('bad', ['192.0.2.300', '192.0.2.3', 'fe80::1%eth0', '192.0.2.3'])],
    }),
  );
  t.same([...r.decisions.keys()], ['192.0.2.3'], 'the duplicate service is dropped, the bad addresses skipped, the repeat folded');
  t.same(
    r.problems.map((p) => [p.service, p.field]),
    [
      ['default/bad', 'ips[0]'],
      ['default/bad', 'ips[2]'],
      ['default/twice', ''],
    ],
  );
  t.match(r.problems[1]!.message, /zone identifiers/);
  t.equal(e.explain('not-an-ip', open(['a'], ['192.0.2.1'])), undefined);
  t.equal(e.explain('192.0.2.99', open(['a'], ['192.0.2.1'])), undefined, 'no service holds it');
  t.equal(e.explain('2001:DB8::1', open(['a'], ['2001:db8::1']))?.decision.ip, '2001:db8::1', 'any textual form');
});

t.test('ownedBy gives the Announcer its desired state; the ring is rebuilt only on member changes', async (t) => {
  const cfg = config({ default: ['192.0.2.0/24'] }, { a: { interfaces: ['eth0'], nodeSelectors: [{ matchLabels: { nic: 'eth0' } }] }, b: { nodeSelectors: [{ matchLabels: { nic: 'any' } }] } });
  const nodes = new Map([
    ['x', node({ nic: 'eth0' })],
    ['y', node({ nic: 'any' })],
  ]);
  const ips = addresses(40);
  const i = inputs({ config: cfg, members: members(['x', 'y']), nodes, services: ips.map((ip, k) => service(`s${k}`, [ip])) });
  const e = new Election();
  const r = e.compute(i);
  const x = ownedBy(r, 'x');
  const y = ownedBy(r, 'y');
  t.equal(x.size + y.size, 40);
  t.ok(x.size > 0 && y.size > 0, 'both own some');
  for (const target of x.values()) t.same(target, { interfaces: ['eth0'] });
  for (const target of y.values()) t.same(target, {}, 'every interface: the default selection');
  t.equal(ownedBy(r, 'nobody').size, 0);

  t.equal(e.ringRebuilds, 1);
  e.compute({ ...i, services: [...i.services].reverse() });
  e.compute({ ...i, members: [{ name: 'y', state: 'suspect' }, { name: 'x', state: 'alive' }] });
  e.explain(ips[0]!, i);
  t.equal(e.ringRebuilds, 1, 'service changes, state alive->suspect, explain: no rebuild');
  e.compute({ ...i, members: members(['x']) });
  t.equal(e.ringRebuilds, 2);
});

t.test('explain and compute agree for every IP (property)', async () => {
  fc.assert(
    fc.property(fc.subarray(NAMES, { minLength: 1 }), fc.subarray(NAMES), fc.subarray(NAMES), fc.boolean(), (live, excluded, endpoints, local) => {
      const ips = addresses(12);
      const i = inputs({
        config: POOL,
        members: members(live),
        nodes: new Map(NAMES.map((n) => [n, node(excluded.includes(n) ? { [EXCLUDE_LB_LABEL]: '' } : {})])),
        services: ips.map((ip, k) => service(`s${k}`, [ip], { local, endpointNodes: endpoints })),
      });
      const e = new Election();
      const r = e.compute(i);
      for (const ip of ips) {
        const ex = e.explain(ip, i)!;
        if (JSON.stringify(ex.decision) !== JSON.stringify(r.decisions.get(ip))) throw new Error(`${ip}: explain ${JSON.stringify(ex.decision)} compute ${JSON.stringify(r.decisions.get(ip))}`);
        // The full check (verdict) agrees with the fast one the walk used:
        // everyone before the owner has a reason, the owner has none.
        const at = ex.ring.findIndex((c) => c.verdict === 'owner');
        if (ex.decision.owner !== undefined && ex.ring[at]?.member !== ex.decision.owner) throw new Error(`${ip}: owner not on the walk`);
        const before = at < 0 ? ex.ring : ex.ring.slice(0, at);
        if (before.some((c) => c.verdict !== 'skipped' || c.reasons.length === 0)) throw new Error(`${ip}: a member before the owner was eligible`);
        if (at >= 0 && ex.ring[at]!.reasons.length > 0) throw new Error(`${ip}: the owner has reasons`);
        if (ex.ring.some((c) => (c.verdict === 'skipped') !== c.reasons.length > 0)) throw new Error('verdict and reasons disagree');
      }
    }),
    { numRuns: 100 },
  );
});
