// A configuration the size a file-mode speaker builds (one pool and one
// L2Advertisement per VIP, plus shared advertisements) assembles with every
// pool listing exactly the advertisements that cover it.
import t from 'tap';
import { parseObjects } from '../../src/config/index.js';

const N = 5000;

t.test(`${N} pools with an advertisement each, one by label selector, one for all`, async (t) => {
  const objects: unknown[] = [];
  for (let i = 0; i < N; i++) {
    const name = `vip-${i}`;
    const address = `2001:db8:1::${(i + 1).toString(16)}/128`;
    const labels = i % 1000 === 0 ? { tier: 'gold' } : {};
    objects.push({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: 'x', labels }, spec: { addresses: [address] } });
    objects.push({ apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name, namespace: 'x' }, spec: { ipAddressPools: [name] } });
  }
  objects.push({ apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'gold', namespace: 'x' }, spec: { ipAddressPoolSelectors: [{ matchLabels: { tier: 'gold' } }] } });
  objects.push({ apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: { name: 'all', namespace: 'x' }, spec: {} });
  const r = parseObjects(objects);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  t.equal(r.config.pools.length, N);
  const wrong = r.config.pools.filter((p) => {
    const i = Number(p.name.slice(4));
    const l2 = i % 1000 === 0 ? ['gold', p.name] : [p.name];
    return JSON.stringify(p.l2Advertisements) !== JSON.stringify(l2.sort()) || JSON.stringify(p.bgpAdvertisements) !== '["all"]';
  });
  t.same(
    wrong.map((p) => p.name),
    [],
    'each pool lists its own L2Advertisement, "gold" where the selector matches, and the BGPAdvertisement of every pool',
  );
  t.same(r.config.l2Advertisements.find((a) => a.name === 'gold')?.pools, ['vip-0', 'vip-1000', 'vip-2000', 'vip-3000', 'vip-4000']);
});
