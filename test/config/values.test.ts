import t from 'tap';
import { anySelectorMatches, formatGoDuration, formatSelector, parseCommunity, parseGoDuration, selectorMatches } from '../../src/config/index.js';
import { labelValueFault, qualifiedNameFault } from '../../src/config/selector.js';
import type { LabelSelector } from '../../src/config/index.js';

t.test('Go durations parse exactly as time.ParseDuration does', async (t) => {
  const good: [string, number][] = [
    ['90s', 90_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['300ms', 300],
    ['0', 0],
    ['+5s', 5000],
    ['-1s', -1000],
    ['1h2m3s4ms', 3_723_004],
    ['.5s', 500],
    ['1.s', 1000],
    ['2us', 0.002],
    ['2µs', 0.002],
    ['2μs', 0.002],
    ['1500000ns', 1.5],
  ];
  for (const [s, ms] of good) t.same(parseGoDuration(s), { ok: true, ms }, s);
  const bad = ['', '90', ' 90s', '90s ', '1d', '1h2x', 's', '.s', '1..5s', '-', '1e3s', '9223372037s'];
  for (const s of bad) t.equal(parseGoDuration(s).ok, false, JSON.stringify(s));
  t.same([formatGoDuration(90_000), formatGoDuration(3_723_004), formatGoDuration(0), formatGoDuration(-1500)], ['1m30s', '1h2m3s4ms', '0s', '-1s500ms']);
});

t.test('communities: standard, large, and what may be an alias', async (t) => {
  t.same(parseCommunity('65535:65282'), { ok: true, community: { kind: 'standard', value: 0xffffff02, text: '65535:65282' } });
  t.same(parseCommunity('0:0'), { ok: true, community: { kind: 'standard', value: 0, text: '0:0' } });
  t.same(parseCommunity('large:4294967295:0:7'), { ok: true, community: { kind: 'large', global: 4294967295, local1: 0, local2: 7, text: 'large:4294967295:0:7' } });
  for (const s of ['65536:1', '1:-1', '01:1', 'a:b', 'large:1:2:4294967296', 'huge:1:2:3']) {
    const r = parseCommunity(s);
    t.same([r.ok, r.ok || r.alias], [false, false], `${s} is bad community syntax`);
  }
  for (const s of ['no-advertise', '1:2:3', 'large:1:2', '']) {
    const r = parseCommunity(s);
    t.same([r.ok, r.ok || r.alias], [false, true], `${s} may name an alias`);
  }
});

t.test('label selector matching', async (t) => {
  const sel = (s: Partial<LabelSelector>): LabelSelector => ({ matchLabels: {}, matchExpressions: [], ...s });
  const node = { rack: 'r1', zone: 'a', 'kubernetes.io/hostname': 'n1' };
  const table: [LabelSelector, boolean][] = [
    [sel({}), true],
    [sel({ matchLabels: { rack: 'r1' } }), true],
    [sel({ matchLabels: { rack: 'r2' } }), false],
    [sel({ matchLabels: { missing: '' } }), false],
    [sel({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }), true],
    [sel({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }), false],
    [sel({ matchExpressions: [{ key: 'nope', operator: 'In', values: ['a'] }] }), false],
    [sel({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['b'] }] }), true],
    [sel({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }), false],
    [sel({ matchExpressions: [{ key: 'nope', operator: 'NotIn', values: ['a'] }] }), true],
    [sel({ matchExpressions: [{ key: 'rack', operator: 'Exists', values: [] }] }), true],
    [sel({ matchExpressions: [{ key: 'nope', operator: 'Exists', values: [] }] }), false],
    [sel({ matchExpressions: [{ key: 'nope', operator: 'DoesNotExist', values: [] }] }), true],
    [sel({ matchExpressions: [{ key: 'rack', operator: 'DoesNotExist', values: [] }] }), false],
    [sel({ matchLabels: { rack: 'r1' }, matchExpressions: [{ key: 'zone', operator: 'In', values: ['z'] }] }), false],
    [sel({ matchLabels: { toString: 'x' } }), false],
  ];
  for (const [s, want] of table) t.equal(selectorMatches(s, node), want, formatSelector(s) || '(empty)');
  t.equal(anySelectorMatches([], node), true, 'an empty list selects everything');
  t.equal(anySelectorMatches([sel({ matchLabels: { rack: 'r2' } }), sel({ matchLabels: { zone: 'a' } })], node), true, 'any one selector is enough');
  t.equal(anySelectorMatches([sel({ matchLabels: { rack: 'r2' } })], node), false);
  t.equal(formatSelector(sel({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'z', operator: 'NotIn', values: ['y', 'x'] }, { key: 'k', operator: 'DoesNotExist', values: [] }] })), 'a=1,b=2,!k,z notin (x,y)');
});

t.test('qualified names (label keys) and label values: one check, faults in the API server\'s order', async (t) => {
  const keys: Array<[string, ReturnType<typeof qualifiedNameFault>]> = [
    ['app', undefined],
    ['example.com/role', undefined],
    ['kubernetes.io/a.b_c-d', undefined],
    [`${'x'.repeat(63)}`, undefined],
    [`${'a'.repeat(253)}/x`, undefined],
    ['a/b/c', { part: 'whole', why: 'slashes' }],
    ['/x', { part: 'prefix', why: 'empty' }],
    [`${'a'.repeat(254)}/x`, { part: 'prefix', why: 'too-long' }],
    ['Example.com/x', { part: 'prefix', why: 'format' }],
    ['example.com/', { part: 'name', why: 'empty' }],
    ['', { part: 'name', why: 'empty' }],
    [`${'x'.repeat(64)}`, { part: 'name', why: 'too-long' }],
    ['-app', { part: 'name', why: 'format' }],
    ['bad key', { part: 'name', why: 'format' }],
  ];
  for (const [key, want] of keys) t.same(qualifiedNameFault(key), want, JSON.stringify(key));
  t.same(['', 'prod', 'a.b_c-9'].map(labelValueFault), [undefined, undefined, undefined]);
  t.same(['x'.repeat(64), 'pro d', '_x'].map(labelValueFault), ['too-long', 'format', 'format']);
});
