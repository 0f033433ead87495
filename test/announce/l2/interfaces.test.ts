import t from 'tap';

import { canCarry, DEFAULT_EXCLUDED_INTERFACES, eligibleByDefault, selectInterfaces } from '../../../src/announce/l2/interfaces.js';
import { fakeInterface } from './fake-io.js';

const snapshot = [
  fakeInterface('lo', { loopback: true, mac: undefined, broadcast: false }),
  fakeInterface('eth0'),
  fakeInterface('eth1', { ipv6LinkLocal: false }),
  fakeInterface('eth2', { up: false }),
  fakeInterface('eth3', { running: false }),
  fakeInterface('bond0'),
  fakeInterface('eth4', { hasMaster: true }),
  fakeInterface('docker0'),
  fakeInterface('veth12ab'),
  fakeInterface('cali123'),
  fakeInterface('kube-ipvs0', { noarp: true }),
  fakeInterface('tun0', { mac: undefined, broadcast: false }),
  fakeInterface('wg0', { broadcast: false }),
];

t.test('default selection follows MetalLB, plus carrier', async (t) => {
  t.same(selectInterfaces(4, undefined, snapshot, DEFAULT_EXCLUDED_INTERFACES), ['eth0', 'eth1', 'bond0']);
  t.same(selectInterfaces(6, undefined, snapshot, DEFAULT_EXCLUDED_INTERFACES), ['eth0', 'bond0', 'wg0'], 'NDP needs IPv6 enabled, not broadcast');
  t.same(selectInterfaces(4, new Set(), snapshot, DEFAULT_EXCLUDED_INTERFACES), ['eth0', 'eth1', 'bond0'], 'an empty list is the default');
  t.same(selectInterfaces(4, undefined, snapshot, []), ['eth0', 'eth1', 'bond0', 'docker0', 'veth12ab', 'cali123'], 'exclusions are configurable');
});

t.test('named interfaces are used as given when they can carry ARP/ND', async (t) => {
  const named = new Set(['eth4', 'docker0', 'eth2', 'tun0', 'lo', 'kube-ipvs0', 'missing0']);
  t.same(selectInterfaces(4, named, snapshot, DEFAULT_EXCLUDED_INTERFACES), ['eth4', 'docker0'], 'enslaved and excluded names are honoured; down, MAC-less, loopback and NOARP are not');
  t.same(selectInterfaces(6, new Set(['eth1']), snapshot, DEFAULT_EXCLUDED_INTERFACES), ['eth1']);
});

t.test('the building blocks', async (t) => {
  const eth0 = snapshot[1]!;
  t.ok(canCarry(eth0));
  t.notOk(canCarry({ ...eth0, running: false }));
  t.notOk(eligibleByDefault({ ...eth0, name: 'lo' }, 4, DEFAULT_EXCLUDED_INTERFACES));
  t.ok(eligibleByDefault({ ...eth0, name: 'lo0' }, 4, DEFAULT_EXCLUDED_INTERFACES), 'only "lo" itself is excluded by name');
});
