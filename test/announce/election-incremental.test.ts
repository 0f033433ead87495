import fc from 'fast-check';
import t from 'tap';
import { Election } from '../../src/announce/election.js';
import type { ElectionResult } from '../../src/announce/election.js';
import { EXCLUDE_LB_LABEL } from '../../src/announce/election-inputs.js';
import type { ElectionInputs, ElectionMember, ElectionNode, ElectionService } from '../../src/announce/election-inputs.js';
import type { MemberState } from '../../src/cluster/messages.js';
import type { Config } from '../../src/config/index.js';
import { addresses, config, inputs, members, node, plainNodes, service } from './election-support.js';

const NAMES = ['node-a', 'node-b', 'node-c', 'node-d', 'node-e', 'node-f', 'node-g'];
const IPS = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '198.51.100.7', '203.0.113.9', '2001:db8::1', '2001:db8::a', '2001:DB8::0:a', 'not-an-ip'];

// Configs the sequences switch between: the same content as a new object,
// a narrower pool, advertisements with node and service selectors.
const CONFIGS: (() => Config)[] = [
  () => config({ default: ['192.0.2.0/24', '198.51.100.0/24', '2001:db8::/64'] }),
  () => config({ default: ['192.0.2.0/24', '198.51.100.0/24', '2001:db8::/64'] }),
  () => config({ default: ['192.0.2.0/28', '2001:db8::/64'], other: ['203.0.113.0/24'] }, { all: { ipAddressPools: ['default'] } }),
  () =>
    config(
      { default: ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/64'] },
      {
        web: { serviceSelectors: [{ matchLabels: { tier: 'web' } }], interfaces: ['eth0'] },
        zoned: { nodeSelectors: [{ matchLabels: { zone: 'b' } }], interfaces: ['eth1'] },
      },
    ),
  () => config({ default: ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/64'] }, { zoned: { nodeSelectors: [{ matchLabels: { zone: 'b' } }] } }),
];

const member = fc.constantFrom(...NAMES);
const svcName = fc.constantFrom('s0', 's1', 's2', 's3', 's4', 's5');
const step = fc.oneof(
  // ready: the delayed-failback flag (undefined: a member that says nothing, which counts as ready).
  fc.record({ kind: fc.constant('member' as const), name: member, state: fc.constantFrom<MemberState>('alive', 'suspect', 'dead', 'left'), ready: fc.constantFrom(true, false, undefined) }),
  fc.record({ kind: fc.constant('duplicate-member' as const), name: member, state: fc.constantFrom<MemberState>('alive', 'dead'), ready: fc.constantFrom(true, false, undefined) }),
  fc.record({
    kind: fc.constant('node' as const),
    name: member,
    excluded: fc.boolean(),
    zoneB: fc.boolean(),
    unavailable: fc.boolean(),
    present: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('node-copy' as const) }),
  fc.record({
    kind: fc.constant('service' as const),
    name: svcName,
    ips: fc.subarray(IPS, { minLength: 0, maxLength: 3 }),
    local: fc.boolean(),
    endpointNodes: fc.subarray(NAMES),
    serving: fc.boolean(),
    tier: fc.constantFrom('web', 'db'),
  }),
  fc.record({ kind: fc.constant('service-remove' as const), name: svcName }),
  fc.record({ kind: fc.constant('service-duplicate' as const), name: svcName }),
  fc.record({ kind: fc.constant('service-copy' as const), name: svcName }),
  fc.record({ kind: fc.constant('config' as const), which: fc.nat(CONFIGS.length - 1) }),
  fc.record({ kind: fc.constant('explain' as const), ip: fc.constantFrom(...IPS), dead: fc.subarray(NAMES) }),
);

const view = (r: ElectionResult): string => JSON.stringify({ decisions: [...r.decisions], members: r.members, problems: r.problems });

t.test('incremental runs give what a full run gives, over random sequences of member (state and ready flag), node, config and service changes', async () => {
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 25 }), fc.nat(CONFIGS.length - 1), (steps, first) => {
      let memberList: ElectionMember[] = members(NAMES.slice(0, 5));
      let nodes = new Map<string, ElectionNode>(plainNodes(NAMES));
      let cfg = CONFIGS[first]!();
      let services: ElectionService[] = [service('s0', ['192.0.2.1']), service('s1', ['2001:db8::1', '192.0.2.2'], { local: true, endpointNodes: ['node-b', 'node-c'] })];
      const election = new Election();
      const current = (): ElectionInputs => inputs({ config: cfg, members: memberList, nodes, services });
      election.compute(current());
      for (const s of steps) {
        switch (s.kind) {
          case 'member':
            memberList = [...memberList.filter((m) => m.name !== s.name), { name: s.name, state: s.state, ...(s.ready !== undefined ? { ready: s.ready } : {}) }];
            break;
          case 'duplicate-member':
            memberList = [...memberList, { name: s.name, state: s.state, ...(s.ready !== undefined ? { ready: s.ready } : {}) }];
            break;
          case 'node': {
            nodes = new Map(nodes);
            if (s.present) nodes.set(s.name, node({ ...(s.excluded ? { [EXCLUDE_LB_LABEL]: '' } : {}), ...(s.zoneB ? { zone: 'b' } : {}) }, s.unavailable));
            else nodes.delete(s.name);
            break;
          }
          case 'node-copy':
            // New objects, same content: nothing to decide again, and nothing must break.
            nodes = new Map([...nodes].map(([n, v]) => [n, { labels: { ...v.labels }, networkUnavailable: v.networkUnavailable }]));
            break;
          case 'service':
            services = [
              ...services.filter((x) => x.name !== s.name),
              service(s.name, s.ips, { local: s.local, endpointNodes: s.endpointNodes, serving: s.serving, labels: { tier: s.tier } }),
            ];
            break;
          case 'service-remove':
            services = services.filter((x) => x.name !== s.name);
            break;
          case 'service-duplicate': {
            const same = services.find((x) => x.name === s.name);
            if (same) services = [...services, { ...same }];
            break;
          }
          case 'service-copy':
            services = services.map((x) => (x.name === s.name ? { ...x, endpoints: { ...x.endpoints } } : x));
            break;
          case 'config':
            cfg = CONFIGS[s.which]!();
            break;
          case 'explain': {
            // Status asks about other inputs between runs; that must not disturb the next run.
            const other = inputs({ config: cfg, members: NAMES.map((name) => ({ name, state: s.dead.includes(name) ? 'dead' : 'alive' })), nodes, services });
            election.explain(s.ip, other);
            continue;
          }
        }
        const now = current();
        const got = view(election.compute(now));
        const want = view(new Election().compute(now));
        if (got !== want) throw new Error(`after ${JSON.stringify(s)}:\nincremental ${got}\nfull        ${want}`);
      }
    }),
    { numRuns: 300 },
  );
});

t.test('a member death decides again only the IPs that member owned; its return only those it takes back', async (t) => {
  const names = Array.from({ length: 20 }, (_, i) => `node-${i}`);
  const ips = addresses(400, 4);
  const cfg = config({ default: ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'] });
  const all = inputs({ config: cfg, members: members(names), nodes: plainNodes(names), services: ips.map((ip, i) => service(`s${i}`, [ip])) });
  const election = new Election();
  const before = election.compute(all);
  t.equal(before.decided, ips.length, 'the first run decides every IP');
  const victim = 'node-7';
  const owned = [...before.decisions.values()].filter((d) => d.owner === victim).length;
  t.ok(owned > 0, 'the victim owns some IPs');
  const after = election.compute({ ...all, members: members(names.filter((n) => n !== victim)) });
  t.equal(after.decided, owned, 'cluster policy: a death re-decides exactly the IPs the dead member owned');
  const back = election.compute(all);
  t.equal(back.decided, owned, 'and its return exactly those it takes back');
  t.same([...back.decisions], [...before.decisions]);
  t.equal(election.compute(all).decided, 0, 'unchanged inputs decide nothing');
  t.equal(election.compute(all, { full: true }).decided, ips.length, 'a full run decides everything');
});

t.test('a service change decides again only its addresses', async (t) => {
  const names = ['node-a', 'node-b', 'node-c'];
  const cfg = config({ default: ['192.0.2.0/24'] });
  const services = addresses(50, 4).map((ip, i) => service(`s${i}`, [ip]));
  const election = new Election();
  election.compute(inputs({ config: cfg, members: members(names), nodes: plainNodes(names), services }));
  const changed = [...services];
  changed[3] = service('s3', ['192.0.2.250'], { local: true, endpointNodes: ['node-c'] });
  const r = election.compute(inputs({ config: cfg, members: members(names), nodes: plainNodes(names), services: changed }));
  t.equal(r.decided, 1, 'the new address is decided; the old one only leaves');
  t.equal(r.decisions.get('192.0.2.250')?.owner, 'node-c');
  t.notOk(r.decisions.has(services[3]!.ips[0]!));
  t.same([...r.decisions.keys()], [...r.decisions.keys()].sort((a, b) => Number(a.split('.')[3]) - Number(b.split('.')[3])), 'still in address order');
  const same = election.compute(inputs({ config: config({ default: ['192.0.2.0/24'] }), members: members(names), nodes: plainNodes(names), services: changed }));
  t.equal(same.decided, 0, 'a new config object with the same content decides nothing');
});

t.test('the ready rule: a fallback owner read every flag, and the rule standing aside changes every walk', async (t) => {
  const names = ['node-a', 'node-b', 'node-c', 'node-d', 'node-e'];
  const cfg = config({ default: ['192.0.2.0/24'] });
  const ips = addresses(60, 4);
  const services = ips.map((ip, i) => service(`s${i}`, [ip]));
  // node-e is ready but excluded: no eligible member is ready, every IP falls back to its plain owner.
  const nodes = new Map(plainNodes(names));
  nodes.set('node-e', node({ [EXCLUDE_LB_LABEL]: '' }));
  const flags = (ready: Record<string, boolean>): ElectionMember[] => names.map((name) => ({ name, state: 'alive', ready: ready[name] ?? false }));
  const election = new Election();
  const fallback = election.compute(inputs({ config: cfg, members: flags({ 'node-e': true }), nodes, services }));
  t.ok([...fallback.decisions.values()].every((d) => d.owner !== undefined && d.owner !== 'node-e'), 'every IP has a plain owner');
  // One member turns ready: it owns every IP now, also those whose plain walk stopped before it.
  const readyD = election.compute(inputs({ config: cfg, members: flags({ 'node-e': true, 'node-d': true }), nodes, services }));
  const full = new Election().compute(inputs({ config: cfg, members: flags({ 'node-e': true, 'node-d': true }), nodes, services }));
  t.same([...readyD.decisions], [...full.decisions], 'incremental equals full after the flag change');
  t.ok([...readyD.decisions.values()].every((d) => d.owner === 'node-d'), 'the one ready eligible member owns them all');
  // Nobody ready at all: the rule stands aside everywhere.
  const none = election.compute(inputs({ config: cfg, members: flags({}), nodes, services }));
  const noneFull = new Election().compute(inputs({ config: cfg, members: flags({}), nodes, services }));
  t.same([...none.decisions], [...noneFull.decisions], 'incremental equals full when nobody is ready');
  t.same([...none.decisions], [...fallback.decisions], 'and gives the plain owners again');
  // From nobody ready to one: the rule comes back for every walk, also those that stopped before that member.
  const one = election.compute(inputs({ config: cfg, members: flags({ 'node-d': true }), nodes, services }));
  t.ok([...one.decisions.values()].every((d) => d.owner === 'node-d'), 'the first member to turn ready owns every IP');
});
