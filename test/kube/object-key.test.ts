import t from 'tap';
import { namespacedKey, objectKey, splitKey } from '../../src/kube/object-key.js';

t.test('one key for an object: namespace/name, or the name alone when cluster-scoped; split back', async (t) => {
  const table: Array<[string | undefined, string, string]> = [
    ['default', 'web', 'default/web'],
    [undefined, 'node-1', 'node-1'],
    ['', 'node-1', 'node-1'],
  ];
  for (const [namespace, name, key] of table) {
    t.equal(namespacedKey(namespace, name), key);
    t.equal(objectKey({ metadata: { ...(namespace !== undefined && { namespace }), name } }), key);
    t.same(splitKey(key), { namespace: namespace || undefined, name });
  }
  t.equal(objectKey({}), '', 'an object without metadata has the empty key');
});
