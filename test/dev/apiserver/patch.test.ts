import t from 'tap';
import { jsonPatch, mergePatch, metadataPatchSchema, strategicMergePatch, type Json } from '../../../dev/apiserver/patch.js';

t.test('merge patch: RFC 7386 appendix A cases', async (t) => {
  const cases: [Json, Json, Json][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, want] of cases) t.strictSame(mergePatch(target, patch), want, JSON.stringify(patch));
  const target = { a: { b: 1 } };
  mergePatch(target, { a: { b: 2 } });
  t.strictSame(target, { a: { b: 1 } }, 'input untouched');
});

t.test('json patch: RFC 6902 operations, atomic failure', async (t) => {
  const doc = { metadata: { labels: { a: '1' } }, list: [1, 2, 3] };
  t.strictSame(
    jsonPatch(doc, [
      { op: 'add', path: '/metadata/labels/b', value: '2' },
      { op: 'remove', path: '/metadata/labels/a' },
      { op: 'replace', path: '/list/0', value: 9 },
      { op: 'add', path: '/list/-', value: 4 },
      { op: 'move', from: '/list/1', path: '/moved' },
      { op: 'copy', from: '/moved', path: '/copied' },
      { op: 'test', path: '/copied', value: 2 },
      { op: 'add', path: '/a~1b', value: 'slash' },
    ]),
    { metadata: { labels: { b: '2' } }, list: [9, 3, 4], moved: 2, copied: 2, 'a/b': 'slash' },
  );
  t.strictSame(doc, { metadata: { labels: { a: '1' } }, list: [1, 2, 3] }, 'input untouched');
  t.throws(() => jsonPatch(doc, [{ op: 'test', path: '/list/0', value: 7 }]), { code: 422 });
  t.throws(() => jsonPatch(doc, [{ op: 'remove', path: '/nope' }]), { code: 422 });
  t.throws(() => jsonPatch(doc, [{ op: 'replace', path: '/list/5', value: 1 }]), { code: 422 });
  t.throws(() => jsonPatch(doc, [{ op: 'frobnicate', path: '/a' }]), { code: 400 });
  t.throws(() => jsonPatch(doc, { op: 'add' }), { code: 400 });
  t.throws(() => jsonPatch(doc, [{ op: 'add', path: 'no-slash', value: 1 }]), { code: 400 });
  t.throws(() => jsonPatch(doc, [{ op: 'add', path: '/x' }]), { code: 400 }, 'add needs a value');
});

t.test('strategic merge patch: keyed lists merge, atomic lists replace, directives', async (t) => {
  const schema = { ...metadataPatchSchema, 'spec.ports': { mergeKey: 'port' }, 'status.conditions': { mergeKey: 'type' } };
  const svc = {
    metadata: { finalizers: ['a'], labels: { x: '1' } },
    spec: { ports: [{ port: 80, name: 'http' }, { port: 443, name: 'https' }] },
    status: {
      loadBalancer: { ingress: [{ ip: '192.0.2.1' }, { ip: '2001:db8::1' }] },
      conditions: [{ type: 'Ready', status: 'False' }, { type: 'Other', status: 'True' }],
    },
  };
  const out = strategicMergePatch(svc, {
    metadata: { finalizers: ['b', 'a'], labels: { x: null, y: '2' } },
    spec: { ports: [{ port: 80, name: 'web' }, { port: 8080, name: 'alt' }, { port: 443, $patch: 'delete' }] },
    status: {
      loadBalancer: { ingress: [{ ip: '198.51.100.7' }] },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  }, schema);
  t.strictSame(out, {
    metadata: { finalizers: ['a', 'b'], labels: { y: '2' } },
    spec: { ports: [{ port: 80, name: 'web' }, { port: 8080, name: 'alt' }] },
    status: {
      loadBalancer: { ingress: [{ ip: '198.51.100.7' }] },
      conditions: [{ type: 'Ready', status: 'True' }, { type: 'Other', status: 'True' }],
    },
  }, 'ports merged by port, finalizers unioned, ingress (atomic) replaced, conditions merged by type');
  t.strictSame(
    strategicMergePatch(svc, { spec: { $patch: 'replace', type: 'ClusterIP' } }, schema),
    { ...svc, spec: { type: 'ClusterIP' } },
    '$patch: replace on a map',
  );
  t.strictSame(
    strategicMergePatch(svc, { spec: { ports: [{ $patch: 'replace' }, { port: 53 }] } }, schema),
    { ...svc, spec: { ports: [{ port: 53 }] } },
    '$patch: replace on a list',
  );
  t.strictSame(
    strategicMergePatch(svc, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, schema),
    { ...svc, metadata: { ...svc.metadata, finalizers: [] } },
    '$deleteFromPrimitiveList',
  );
  t.strictSame(
    strategicMergePatch(svc, { spec: { '$setElementOrder/ports': [{ port: 443 }, { port: 80 }] } }, schema),
    { ...svc, spec: { ports: [{ port: 443, name: 'https' }, { port: 80, name: 'http' }] } },
    '$setElementOrder reorders',
  );
  t.throws(() => strategicMergePatch(svc, { spec: { ports: [{ name: 'x' }] } }, schema), { code: 422 }, 'element without merge key');
  t.throws(() => strategicMergePatch(svc, [1], schema), { code: 400 });
});
