// One set of rules for both protocols: the services a node may advertise by
// BGP (servicesEligibleOn) are those whose addresses the layer-2 election
// finds it eligible for, wherever it stands on the ring (eligibleFor), when
// one L2Advertisement selects every node and service.
import t from 'tap';
import { servicesEligibleOn } from '../../src/announce/election-eligibility.js';
import { Election } from '../../src/announce/election.js';
import { config, inputs, members, node, service } from './election-support.js';

const nodes = new Map([
  ['plain', node()],
  ['excluded', node({ 'node.kubernetes.io/exclude-from-external-load-balancers': 'true' })],
  ['no-network', node({}, true)],
  ['local-host', node()],
]);
const services = [
  service('cluster', ['192.0.2.1']),
  service('local', ['192.0.2.2'], { local: true, endpointNodes: ['local-host'] }),
  service('idle', ['192.0.2.3'], { serving: false }),
  service('dual', ['192.0.2.4', '2001:db8::4']),
];
const input = inputs({
  config: config({ pool: ['192.0.2.0/28', '2001:db8::/124'] }),
  members: members([...nodes.keys(), 'stranger']),
  nodes,
  services,
});

t.test('BGP eligibility follows the election rules', async (t) => {
  const names = (n: string) => servicesEligibleOn(input, n).map((s) => s.name);
  t.same(names('plain'), ['cluster', 'dual'], 'a plain node: every serving Cluster service');
  t.same(names('local-host'), ['cluster', 'local', 'dual'], 'a Local service only where it has an endpoint');
  t.same(names('excluded'), [], 'the exclude label');
  t.same(names('no-network'), [], 'NetworkUnavailable');
  t.same(names('stranger'), [], 'no Node object');
  t.same(servicesEligibleOn(input, 'excluded', true).map((s) => s.name), ['cluster', 'dual'], 'unless the exclude label is ignored');
});

t.test('eligibleFor: the addresses a member could elect itself for, and the same set BGP gives it', async (t) => {
  const election = new Election();
  const all = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '2001:DB8::4', '192.0.2.9'];
  for (const name of [...nodes.keys(), 'stranger']) {
    const l2 = election.eligibleFor(name, all, input).sort();
    const bgp = servicesEligibleOn(input, name).flatMap((s) => s.ips.map((ip) => ip.toLowerCase())).sort();
    t.same(l2, bgp, `${name}: ${l2.join(' ') || 'nothing'}`);
  }
  t.same(election.eligibleFor('plain', ['2001:DB8::4', 'junk'], input), ['2001:db8::4'], 'canonical text; what no service holds is left out');
});
