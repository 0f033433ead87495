import t from 'tap';
import {
  compileFieldSelector,
  fieldGetters,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '../../../dev/apiserver/selectors.js';

t.test('label selector grammar: equality, sets, existence, numeric', async (t) => {
  t.strictSame(parseLabelSelector(''), []);
  t.strictSame(parseLabelSelector('app=web'), [{ key: 'app', op: 'in', values: ['web'] }]);
  t.strictSame(parseLabelSelector('app==web, tier != db'), [
    { key: 'app', op: 'in', values: ['web'] },
    { key: 'tier', op: 'notin', values: ['db'] },
  ]);
  t.strictSame(parseLabelSelector('env in (prod, staging),zone notin (a)'), [
    { key: 'env', op: 'in', values: ['prod', 'staging'] },
    { key: 'zone', op: 'notin', values: ['a'] },
  ]);
  t.strictSame(parseLabelSelector('kubernetes.io/service-name,!node-role.kubernetes.io/control-plane'), [
    { key: 'kubernetes.io/service-name', op: 'exists' },
    { key: 'node-role.kubernetes.io/control-plane', op: 'notexists' },
  ]);
  t.strictSame(parseLabelSelector('gen>3,gen<10'), [
    { key: 'gen', op: 'gt', value: 3 },
    { key: 'gen', op: 'lt', value: 10 },
  ]);
  t.strictSame(parseLabelSelector('a='), [{ key: 'a', op: 'in', values: [''] }]);
});

t.test('bad label selectors are 400 BadRequest', async (t) => {
  for (const bad of ['a b', 'a in x', 'a in ()', '=b', 'a=b=c', 'Bad Key=x', 'a=has space', 'a in (x', 'a>b', 'a/b/c=d']) {
    t.throws(() => parseLabelSelector(bad), { code: 400, reason: 'BadRequest' }, bad);
  }
});

t.test('label matching follows the API semantics for absent keys', async (t) => {
  const m = (sel: string, labels?: Record<string, string>): boolean => matchesLabels(parseLabelSelector(sel), labels);
  t.ok(m('', undefined));
  t.ok(m('app=web', { app: 'web' }));
  t.notOk(m('app=web', { app: 'db' }));
  t.notOk(m('app=web', {}));
  t.ok(m('app!=web', {}), '!= matches when the key is absent');
  t.notOk(m('app!=web', { app: 'web' }));
  t.ok(m('env in (a,b)', { env: 'b' }));
  t.notOk(m('env in (a,b)', {}));
  t.ok(m('env notin (a,b)', {}), 'notin matches when the key is absent');
  t.notOk(m('env notin (a,b)', { env: 'a' }));
  t.ok(m('x', { x: '' }));
  t.notOk(m('!x', { x: '' }));
  t.ok(m('gen>3', { gen: '4' }));
  t.notOk(m('gen>3', { gen: '3' }));
  t.notOk(m('gen>3', { gen: 'four' }));
  t.ok(m('app=web,tier=fe', { app: 'web', tier: 'fe' }));
  t.notOk(m('app=web,tier=fe', { app: 'web', tier: 'be' }));
});

t.test('field selectors: supported fields per type, escapes, 400 on unknown fields', async (t) => {
  const pods = fieldGetters('', 'pods');
  const match = compileFieldSelector(parseFieldSelector('spec.nodeName=node-a,status.phase!=Failed'), pods);
  t.ok(match({ metadata: { name: 'p' }, spec: { nodeName: 'node-a' }, status: { phase: 'Running' } }));
  t.notOk(match({ metadata: { name: 'p' }, spec: { nodeName: 'node-b' }, status: { phase: 'Running' } }));
  t.notOk(match({ metadata: { name: 'p' }, spec: { nodeName: 'node-a' }, status: { phase: 'Failed' } }));
  const byName = compileFieldSelector(parseFieldSelector('metadata.name==a\\,b'), fieldGetters('metallb.io', 'ipaddresspools'));
  t.ok(byName({ metadata: { name: 'a,b' } }), 'escaped comma is part of the value');
  t.throws(
    () => compileFieldSelector(parseFieldSelector('spec.addresses=x'), fieldGetters('metallb.io', 'ipaddresspools')),
    { code: 400, message: /field label not supported: spec.addresses/ },
  );
  t.throws(() => parseFieldSelector('novalue'), { code: 400 });
  const ev = compileFieldSelector(parseFieldSelector('involvedObject.kind=Service,involvedObject.name=web,type=Warning'), fieldGetters('', 'events'));
  t.ok(ev({ metadata: { name: 'e' }, involvedObject: { kind: 'Service', name: 'web' }, type: 'Warning' }));
  t.notOk(ev({ metadata: { name: 'e' }, involvedObject: { kind: 'Service', name: 'web' }, type: 'Normal' }));
});
