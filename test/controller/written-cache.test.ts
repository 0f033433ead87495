import t from 'tap';
import type { V1Service } from '@kubernetes/client-node';
import { WrittenCache } from '../../src/controller/written-cache.js';
import type { Wire } from '../../src/kube/wire.js';

const at = (rv: string, ip = ''): Wire<V1Service> => ({ metadata: { name: 'web', namespace: 'default', resourceVersion: rv }, status: { loadBalancer: { ingress: ip ? [{ ip }] : [] } } });
const rvOf = (s: Wire<V1Service> | undefined): string | undefined => s?.metadata?.resourceVersion;

t.test('a written object stands in for the cached one until the informer reports its version', async (t) => {
  const c = new WrittenCache();
  c.begin('default/web');
  c.wrote(at('11', '192.0.2.1'));
  c.end('default/web');
  t.equal(rvOf(c.latest('default/web', at('10'))), '11', 'the informer is behind: the written object wins');
  c.observed(at('10'));
  t.equal(c.size, 1, 'an older event changes nothing');
  c.observed(at('11'));
  t.equal(c.size, 0, 'caught up');
  t.equal(rvOf(c.latest('default/web', at('12'))), '12', 'newer changes come from the informer');
  t.equal(c.latest('default/web', undefined), undefined, 'a deleted service has no latest state');
});

t.test('an event that overtakes the write response is remembered while the write is in flight', async (t) => {
  const c = new WrittenCache();
  c.begin('default/web');
  c.observed(at('11'));
  c.observed(at('12'));
  c.wrote(at('11', '192.0.2.1'));
  c.end('default/web');
  t.equal(c.size, 0, 'not kept: the informer already has it (and a later version)');
  t.equal(rvOf(c.latest('default/web', at('12'))), '12');
  c.wrote(at('13'));
  t.equal(c.size, 1, 'outside a write window nothing is remembered');
  c.forget('default/web');
  t.equal(c.size, 0);
});
