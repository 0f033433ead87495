import t from 'tap';
import { ConfigAcceptance, parseLegacyConfig } from '../../src/config/index.js';

const good = (range: string) => parseLegacyConfig(`address-pools: [{name: a, protocol: layer2, addresses: [${range}]}]`);
const bad = (prefix: number) => parseLegacyConfig(`address-pools: [{name: a, protocol: layer2, addresses: [198.51.100.0/${prefix}]}]`);

function tracked(): { acc: ConfigAcceptance<'crd' | 'configmap'>; counts: Record<string, number> } {
  const counts: Record<string, number> = { stale: 0, loaded: 0, refused: 0, applied: 0 };
  const acc = new ConfigAcceptance<'crd' | 'configmap'>({
    now: () => new Date(0),
    metrics: {
      stale: { set: (v) => { counts['stale'] = v; } },
      loaded: { set: (v) => { counts['loaded'] = v; } },
      refused: { inc: () => { counts['refused']!++; } },
      applied: { inc: () => { counts['applied']!++; } },
    },
  });
  return { acc, counts };
}

t.test('each candidate gets one verdict; repeats of a refusal or an absence are reported once', async (t) => {
  const { acc, counts } = tracked();
  const steps: Array<[string, () => { kind: string }, string, Record<string, unknown>]> = [
    ['nothing yet', () => acc.absent('no objects'), 'absent', { stale: false, generation: 0, absent: 'no objects' }],
    ['still nothing', () => acc.absent('no objects'), 'repeated', { stale: false }],
    ['an invalid first one', () => acc.offer('crd', bad(33)), 'refused', { stale: true, generation: 0, absent: undefined }],
    ['the same again', () => acc.offer('crd', bad(33)), 'repeated', { stale: true }],
    ['a valid one', () => acc.offer('crd', good('198.51.100.0/24')), 'applied', { stale: false, generation: 1, source: 'crd' }],
    ['the same valid one', () => acc.offer('crd', good('198.51.100.0/24')), 'unchanged', { stale: false, generation: 1 }],
    ['refused while one is in force', () => acc.offer('crd', bad(40)), 'refused', { stale: true, generation: 1 }],
    ['the good one back, unchanged', () => acc.offer('crd', good('198.51.100.0/24')), 'unchanged', { stale: false, generation: 1 }],
    ['the same refusal after a recovery counts again', () => acc.offer('crd', bad(40)), 'refused', { stale: true }],
    ['every object gone: the good one stays, stale', () => acc.absent('no objects'), 'absent', { stale: true, generation: 1 }],
    ['the same content from the ConfigMap is another configuration', () => acc.offer('configmap', good('198.51.100.0/24')), 'applied', { stale: false, generation: 2, source: 'configmap', absent: undefined }],
  ];
  for (const [what, step, kind, state] of steps) {
    t.equal(step().kind, kind, what);
    t.match(acc.state, state, what);
  }
  t.same(counts, { stale: 0, loaded: 1, refused: 3, applied: 2 });
  t.equal(acc.current?.pools[0]?.name, 'a');
  t.same(acc.errors, []);
  t.match(acc.state.lastRefusal, { source: 'crd', errors: [{ message: /40/ }] }, 'the last refusal is kept as history');
});

t.test('a refusal says what stays in force; a recovery is flagged', async (t) => {
  const { acc } = tracked();
  t.match(acc.offer('crd', bad(33)), { kind: 'refused', current: undefined, errors: [{ code: 'invalid-range' }] });
  t.match(acc.offer('crd', good('192.0.2.0/28')), { kind: 'applied', generation: 1, config: { pools: [{ name: 'a' }] } });
  t.match(acc.offer('crd', bad(33)), { kind: 'refused', current: { pools: [{ name: 'a' }] } });
  t.same(acc.offer('crd', good('192.0.2.0/28')), { kind: 'unchanged', recovered: true });
  t.same(acc.offer('crd', good('192.0.2.0/28')), { kind: 'unchanged', recovered: false });
});
