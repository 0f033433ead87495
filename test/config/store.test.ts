import t from 'tap';
import { ConfigStore, parseLegacyConfig } from '../../src/config/index.js';

const good = (name: string) => parseLegacyConfig(`address-pools: [{name: ${name}, protocol: layer2, addresses: [198.51.100.0/24]}]`);
const bad = parseLegacyConfig('address-pools: [{name: x, protocol: layer2, addresses: [198.51.100.0/33]}]');

t.test('a bad candidate never replaces the running config', async (t) => {
  const store = new ConfigStore();
  const first = store.offer(bad);
  t.same([first.accepted, store.current], [false, undefined], 'nothing to keep yet');
  t.equal(store.errors.length, 1);
  const a = good('a');
  const ok = store.offer(a);
  t.equal(ok.accepted, true);
  t.equal(ok.accepted && ok.previous, undefined);
  t.same(store.errors, []);
  const rejected = store.offer(bad);
  t.equal(rejected.accepted, false);
  t.equal(store.current?.pools[0]?.name, 'a', 'kept the last good config');
  t.equal(!rejected.accepted && rejected.current?.pools[0]?.name, 'a');
  t.match(store.errors[0]?.message, /prefix length "33" is not 0 to 32/);
  const b = store.offer(good('b'));
  t.equal(b.accepted && b.previous?.pools[0]?.name, 'a');
  t.equal(store.current?.pools[0]?.name, 'b');
});
