import t from 'tap';
import { Allocator, classPredicate } from '../../src/alloc/allocator.js';
import { portKeys } from '../../src/alloc/service.js';
import type { ServiceInput } from '../../src/alloc/service.js';
import type { Pool } from '../../src/config/index.js';
import { pools, svc, violations } from './support.js';
import type { SvcOpts } from './support.js';

type Step =
  | { op: 'allocate'; s: ServiceInput; want: Record<string, unknown> }
  | { op: 'assign'; s: ServiceInput; ips: string[]; want: Record<string, unknown> }
  | { op: 'release'; key: string; want: Record<string, unknown> }
  | { op: 'pools'; pools: Pool[]; want: Record<string, unknown> };

const alloc = (s: ServiceInput, want: Record<string, unknown>): Step => ({ op: 'allocate', s, want });
const assign = (s: ServiceInput, ips: string[], want: Record<string, unknown>): Step => ({ op: 'assign', s, ips, want });
const release = (key: string, want: Record<string, unknown>): Step => ({ op: 'release', key, want });

/** Runs the steps, checking each outcome and every invariant after every step. */
function run(t: { match: (a: unknown, b: unknown, m: string) => void; same: (a: unknown, b: unknown, m: string) => void }, ps: Pool[], steps: Step[], a = new Allocator(ps)): Allocator {
  const inputs = new Map<string, ServiceInput>();
  let current = ps;
  steps.forEach((st, i) => {
    let got: unknown;
    let label: string;
    if (st.op === 'allocate' || st.op === 'assign') {
      inputs.set(`${st.s.namespace}/${st.s.name}`, st.s);
      got = st.op === 'allocate' ? a.allocate(st.s) : a.assign(st.s, st.ips);
      label = `${i}: ${st.op} ${st.s.namespace}/${st.s.name}`;
    } else if (st.op === 'release') {
      got = a.release(st.key);
      label = `${i}: release ${st.key}`;
    } else {
      current = st.pools;
      got = a.setPools(st.pools);
      label = `${i}: setPools`;
    }
    t.match(got, st.want, label);
    t.same(violations(a, current, inputs), [], `${label}: invariants`);
  });
  return a;
}

t.test('requested IPs, lowest free, reuse after release, type and class changes', async (t) => {
  const ps = pools({ p: { addresses: ['198.51.100.0/30'] } });
  run(t, ps, [
    alloc(svc('s1', { loadBalancerIP: '198.51.100.1' }), { ok: true, action: 'allocated', ips: ['198.51.100.1'], pool: 'p' }),
    alloc(svc('s1', { loadBalancerIP: '198.51.100.1' }), { ok: true, action: 'kept', ips: ['198.51.100.1'] }),
    alloc(svc('s2', { ips: '198.51.100.1' }), { ok: false, code: 'ip-in-use', conflict: { reason: 'not-shared', ip: '198.51.100.1', with: ['default/s1'] } }),
    alloc(svc('s2'), { ok: true, ips: ['198.51.100.0'] }),
    alloc(svc('s3'), { ok: true, ips: ['198.51.100.2'] }),
    alloc(svc('s4'), { ok: true, ips: ['198.51.100.3'] }),
    alloc(svc('s5'), { ok: false, code: 'no-pool-has-free-ip' }),
    release('default/s1', { released: ['198.51.100.1'], freed: ['198.51.100.1'] }),
    alloc(svc('s5'), { ok: true, ips: ['198.51.100.1'] }),
    alloc(svc('s5', { type: 'ClusterIP' }), { ok: true, action: 'not-ours', reason: 'not-load-balancer', released: ['198.51.100.1'] }),
    alloc(svc('s4', { loadBalancerClass: 'other.example/lb' }), { ok: true, action: 'not-ours', reason: 'foreign-class', released: ['198.51.100.3'] }),
    alloc(svc('s6'), { ok: true, ips: ['198.51.100.1'] }),
    release('default/never-seen', { released: [], freed: [] }),
  ]);
});

t.test('a controller with a load-balancer class only takes services of that class', async (t) => {
  const a = new Allocator(pools({ p: { addresses: ['198.51.100.0/30'] } }), { isOurClass: classPredicate('shoal.example/lb') });
  t.match(a.allocate(svc('plain')), { ok: true, action: 'not-ours', reason: 'foreign-class' });
  t.match(a.allocate(svc('mine', { loadBalancerClass: 'shoal.example/lb' })), { ok: true, action: 'allocated' });
});

t.test('sharing: same key, compatible ports, same backend', async (t) => {
  const ps = pools({ p: { addresses: ['198.51.100.0/29'] } });
  const local = (name: string, key: string, app: string, port: number) =>
    svc(name, { share: key, externalTrafficPolicy: 'Local', selector: { app }, ports: [{ port }] });
  run(t, ps, [
    alloc(svc('a', { share: 'k' }), { ok: true, ips: ['198.51.100.0'], shared: false }),
    alloc(svc('b', { share: 'k', ports: [{ port: 443 }] }), { ok: true, ips: ['198.51.100.0'], shared: true }),
    alloc(svc('c', { share: 'k' }), { ok: true, ips: ['198.51.100.1'] }),
    alloc(svc('d', { share: 'k', ips: '198.51.100.0' }), { ok: false, code: 'ip-in-use', conflict: { reason: 'port-collision', with: ['default/a', 'default/b'], ports: ['TCP/80'] } }),
    alloc(svc('e', { share: 'other', ips: '198.51.100.0', ports: [{ port: 8080 }] }), { ok: false, code: 'ip-in-use', conflict: { reason: 'sharing-key-mismatch' } }),
    alloc(svc('f', { ips: '198.51.100.0', ports: [{ port: 8080 }] }), { ok: false, code: 'ip-in-use', conflict: { reason: 'no-sharing-key' } }),
    alloc(local('g', 'k', 'x', 8080), { ok: true, ips: ['198.51.100.2'] }),
    alloc({ ...local('g2', 'k', 'x', 8081), annotations: { 'metallb.io/allow-shared-ip': 'k', 'metallb.io/loadBalancerIPs': '198.51.100.0' } }, {
      ok: false,
      code: 'ip-in-use',
      conflict: { reason: 'backend-mismatch' },
    }),
    alloc(local('h', 'k', 'x', 8081), { ok: true, ips: ['198.51.100.2'], shared: true }),
    alloc(local('i', 'k', 'y', 8082), { ok: true, ips: ['198.51.100.3'], shared: false }),
    release('default/a', { released: ['198.51.100.0'], freed: [] }),
    release('default/b', { released: ['198.51.100.0'], freed: ['198.51.100.0'] }),
    alloc(svc('u1', { share: 'dns', ports: [{ port: 53, protocol: 'TCP' }] }), { ok: true, ips: ['198.51.100.0'] }),
    alloc(svc('u2', { share: 'dns', ports: [{ port: 53, protocol: 'UDP' }] }), { ok: true, ips: ['198.51.100.0'], shared: true }),
    alloc(svc('c', { share: 'alone' }), { ok: true, action: 'kept', ips: ['198.51.100.1'] }),
    alloc(svc('u2', { share: 'changed', ports: [{ port: 53, protocol: 'UDP' }] }), {
      ok: true,
      action: 'allocated',
      ips: ['198.51.100.4'],
      released: ['198.51.100.0'],
      replaced: { code: 'ip-in-use' },
    }),
    alloc(svc('u1', { share: 'dns', ports: [{ port: 53 }, { port: 853 }] }), { ok: true, action: 'kept', ips: ['198.51.100.0'] }),
  ]);
});

t.test('the deprecated metallb.universe.tf annotations are honoured, metallb.io wins', async (t) => {
  const ps = pools({ p: { addresses: ['198.51.100.0/30'] }, q: { addresses: ['203.0.113.0/30'], autoAssign: false } });
  const old = (name: string, ann: Record<string, string>) => svc(name, { annotations: ann });
  run(t, ps, [
    alloc(old('a', { 'metallb.universe.tf/address-pool': 'q' }), { ok: true, pool: 'q', ips: ['203.0.113.0'] }),
    alloc(old('b', { 'metallb.universe.tf/loadBalancerIPs': '203.0.113.2' }), { ok: true, ips: ['203.0.113.2'] }),
    alloc(old('c', { 'metallb.universe.tf/allow-shared-ip': 'x', 'metallb.universe.tf/loadBalancerIPs': '203.0.113.3' }), { ok: true }),
    alloc(old('d', { 'metallb.universe.tf/allow-shared-ip': 'x', 'metallb.universe.tf/loadBalancerIPs': '203.0.113.3', 'metallb.io/loadBalancerIPs': '198.51.100.3' }), { ok: true, ips: ['198.51.100.3'] }),
  ]);
});

t.test('pool choice: annotations, autoAssign, priorities, selectors, families', async (t) => {
  const ps = pools({
    auto: { addresses: ['198.51.100.0/30'] },
    manual: { addresses: ['203.0.113.0/30'], autoAssign: false },
    v6: { addresses: ['2001:db8::/126'] },
    dual: { addresses: ['192.0.2.0/31', '2001:db8:1::/127'] },
    reserved: { addresses: ['192.0.2.128/31'], serviceAllocation: { priority: 1, namespaces: ['team-a'] } },
    reserved2: { addresses: ['192.0.2.136/30'], serviceAllocation: { priority: 2, namespaceSelectors: [{ matchLabels: { env: 'prod' } }] } },
    bysvc: { addresses: ['192.0.2.144/30'], serviceAllocation: { serviceSelectors: [{ matchLabels: { app: 'special' } }] } },
  });
  const v6 = { ipFamilies: ['IPv6' as const] };
  const dualReq = { ipFamilies: ['IPv4' as const, 'IPv6' as const], ipFamilyPolicy: 'RequireDualStack' as const };
  const dualPref = { ipFamilies: ['IPv6' as const, 'IPv4' as const], ipFamilyPolicy: 'PreferDualStack' as const };
  run(t, ps, [
    alloc(svc('plain'), { ok: true, pool: 'auto', ips: ['198.51.100.0'] }),
    alloc(svc('six', v6), { ok: true, pool: 'dual', ips: ['2001:db8:1::'] }),
    alloc(svc('m', { pool: 'manual' }), { ok: true, pool: 'manual', ips: ['203.0.113.0'] }),
    alloc(svc('m2', { ips: '203.0.113.2' }), { ok: true, pool: 'manual', ips: ['203.0.113.2'] }),
    alloc(svc('nopool', { pool: 'gone' }), { ok: false, code: 'pool-not-found' }),
    alloc(svc('far', { ips: '198.18.0.1' }), { ok: false, code: 'ip-not-in-any-pool', message: '198.18.0.1 is not in any pool' }),
    alloc(svc('mismatch', { ips: '203.0.113.3', pool: 'auto' }), { ok: false, code: 'requested-ip-pool-mismatch' }),
    alloc(svc('fam', { ips: '2001:db8::1' }), { ok: false, code: 'requested-ip-family-mismatch' }),
    alloc(svc('both', { ips: '203.0.113.3', loadBalancerIP: '203.0.113.3' }), { ok: false, code: 'conflicting-ip-requests' }),
    alloc(svc('badip', { ips: '203.0.113.3,nope' }), { ok: false, code: 'invalid-requested-ip' }),
    alloc(svc('v4only', { ...v6, pool: 'auto' }), { ok: false, code: 'pool-lacks-family' }),
    alloc(svc('ta', { namespace: 'team-a' }), { ok: true, pool: 'reserved', ips: ['192.0.2.128'] }),
    alloc(svc('prod', { namespace: 'shop', namespaceLabels: { env: 'prod' } }), { ok: true, pool: 'reserved2', ips: ['192.0.2.136'] }),
    alloc(svc('both-ns', { namespace: 'team-a', namespaceLabels: { env: 'prod' } }), { ok: true, pool: 'reserved', ips: ['192.0.2.129'] }),
    alloc(svc('ta-full', { namespace: 'team-a' }), { ok: true, pool: 'auto', ips: ['198.51.100.1'] }),
    alloc(svc('special', { labels: { app: 'special' } }), { ok: true, pool: 'bysvc', ips: ['192.0.2.144'] }),
    alloc(svc('intruder', { ips: '192.0.2.137' }), { ok: false, code: 'pool-not-allowed' }),
    alloc(svc('intruder2', { pool: 'reserved2' }), { ok: false, code: 'pool-not-allowed' }),
    alloc(svc('ds', dualReq), { ok: true, pool: 'dual', ips: ['192.0.2.0', '2001:db8:1::1'] }),
    alloc(svc('ds2', dualReq), { ok: false, code: 'no-pool-has-free-ip' }),
    alloc(svc('pref', { ...dualPref, pool: 'dual' }), { ok: true, pool: 'dual', ips: ['192.0.2.1'] }),
    alloc(svc('single-req', { ipFamilies: ['IPv4'], ipFamilyPolicy: 'RequireDualStack' }), { ok: false, code: 'dual-stack-unavailable' }),
    alloc(svc('nofam', { ipFamilies: [] }), { ok: false, code: 'unknown-ip-family' }),
    release('default/six', { freed: ['2001:db8:1::'] }),
    alloc(svc('pref', { ...dualPref, pool: 'dual' }), { ok: true, action: 'extended', pool: 'dual', ips: ['192.0.2.1', '2001:db8:1::'] }),
    alloc(svc('pref-auto', { ...dualPref, pool: 'auto' }), { ok: true, pool: 'auto', ips: ['198.51.100.2'] }),
    alloc(svc('pref-auto', { ...dualPref, pool: 'auto' }), { ok: true, action: 'kept', note: { code: 'pool-lacks-family' } }),
    alloc(svc('plain', { ips: '198.51.100.3' }), { ok: true, action: 'allocated', ips: ['198.51.100.3'], released: ['198.51.100.0'], replaced: { code: 'requested-ip-pool-mismatch' } }),
    alloc(svc('plain', { ...v6 }), { ok: true, action: 'allocated', pool: 'v6', ips: ['2001:db8::'], replaced: { code: 'requested-ip-family-mismatch' } }),
    // PreferDualStack with no pool offering both: the first pool with the primary family (IPv6 here) wins over an earlier IPv4-only pool.
    alloc(svc('pref2', dualPref), { ok: true, action: 'allocated', pool: 'v6', ips: ['2001:db8::1'] }),
  ]);
});

t.test('no pool may auto-assign, or none has the family', async (t) => {
  run(t, pools({ m: { addresses: ['198.51.100.0/30'], autoAssign: false } }), [alloc(svc('a'), { ok: false, code: 'no-auto-assign-pool' })]);
  run(t, pools({ v4: { addresses: ['198.51.100.0/30'] } }), [alloc(svc('a', { ipFamilies: ['IPv6'] }), { ok: false, code: 'no-pool-for-family' })]);
});

t.test('avoid-buggy-ips skips .0 and .255, IPv4 only', async (t) => {
  const ps = pools({ b: { addresses: ['198.51.100.255-198.51.101.1', '2001:db8::/127'], avoidBuggyIPs: true } });
  run(t, ps, [
    alloc(svc('a'), { ok: true, ips: ['198.51.101.1'] }),
    alloc(svc('b'), { ok: false, code: 'no-pool-has-free-ip' }),
    alloc(svc('c', { ips: '198.51.101.0' }), { ok: false, code: 'ip-avoided-as-buggy' }),
    alloc(svc('d', { ipFamilies: ['IPv6'] }), { ok: true, ips: ['2001:db8::'] }),
  ]);
});

t.test('restart: assign registers status addresses and reports conflicts', async (t) => {
  const ps = pools({ p: { addresses: ['198.51.100.0/30'], avoidBuggyIPs: true }, q: { addresses: ['2001:db8::/126'] } });
  const a = run(t, ps, [
    assign(svc('s1'), ['198.51.100.1'], { ok: true, pool: 'p', ips: ['198.51.100.1'] }),
    assign(svc('s2'), ['198.51.100.1'], { ok: false, code: 'ip-in-use', conflict: { with: ['default/s1'] } }),
    assign(svc('s3'), ['198.18.0.1'], { ok: false, code: 'ip-not-in-any-pool' }),
    assign(svc('s4', { annotations: { 'metallb.io/ip-allocated-from-pool': 'old' } }), ['198.18.0.1'], { ok: false, code: 'pool-removed' }),
    assign(svc('s5'), ['198.51.100.0'], { ok: false, code: 'ip-avoided-as-buggy' }),
    assign(svc('s6', { ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack' }), ['198.51.100.2', '2001:db8::1'], { ok: false, code: 'requested-ips-span-pools' }),
    assign(svc('s7'), ['198.51.100.2', '198.51.100.3'], { ok: false, code: 'invalid-requested-ip' }),
    assign(svc('s8'), ['bogus'], { ok: false, code: 'invalid-requested-ip' }),
    alloc(svc('s1'), { ok: true, action: 'kept', ips: ['198.51.100.1'] }),
  ]);
  t.same(a.list().map((x) => x.service), ['default/s1'], 'failed assigns leave nothing behind');
});

t.test('pool changes: kept, moved, stranded; usage figures for a /64', async (t) => {
  const before = pools({ p: { addresses: ['198.51.100.0/29'] }, six: { addresses: ['2001:db8::/64'] } });
  const a = run(t, before, [
    alloc(svc('a'), { ips: ['198.51.100.0'] }),
    alloc(svc('b'), { ips: ['198.51.100.1'] }),
    alloc(svc('c', { ips: '198.51.100.6' }), { ips: ['198.51.100.6'] }),
    alloc(svc('d', { ipFamilies: ['IPv6'] }), { ips: ['2001:db8::'] }),
  ]);
  t.same(a.usage(), [
    { pool: 'p', ipv4: { total: 8n, assigned: 3n, available: 5n }, ipv6: { total: 0n, assigned: 0n, available: 0n } },
    { pool: 'six', ipv4: { total: 0n, assigned: 0n, available: 0n }, ipv6: { total: 1n << 64n, assigned: 1n, available: (1n << 64n) - 1n } },
  ]);
  const after = pools({ renamed: { addresses: ['198.51.100.0/30'], avoidBuggyIPs: true }, six: { addresses: ['2001:db8::/64'] } });
  run(t, after, [{ op: 'pools', pools: after, want: {
    stranded: [
      { service: 'default/a', ips: ['198.51.100.0'], pool: 'p' },
      { service: 'default/c', ips: ['198.51.100.6'], pool: 'p' },
    ],
    moved: [{ service: 'default/b', from: 'p', to: 'renamed' }],
  } }, alloc(svc('a'), { ok: true, ips: ['198.51.100.2'], pool: 'renamed' })], a);
  t.equal(a.get('default/b')?.pool, 'renamed');
  t.throws(() => a.setPools([...after, ...pools({ clash: { addresses: ['198.51.100.0/24'] } })]), /overlap/);
});

t.test('a requested address at the far end of a /64 is held, shared, released and counted like any other', async (t) => {
  const ps = pools({ six: { addresses: ['2001:db8::/64'] } });
  const far = '2001:db8::ffff:ffff:ffff:ffff';
  const v6 = (name: string, o: SvcOpts = {}): ServiceInput => svc(name, { ipFamilies: ['IPv6'], ...o });
  const a = run(t, ps, [
    alloc(v6('s1', { ips: far }), { ok: true, action: 'allocated', ips: [far], pool: 'six' }),
    alloc(v6('s2', { ips: far }), { ok: false, code: 'ip-in-use', conflict: { reason: 'not-shared', ip: far, with: ['default/s1'] } }),
    alloc(v6('s3'), { ok: true, ips: ['2001:db8::'] }),
    release('default/s1', { released: [far], freed: [far] }),
    alloc(v6('s4', { ips: far, share: 'k' }), { ok: true, ips: [far], shared: false }),
    alloc(v6('s5', { ips: far, share: 'k', ports: [{ port: 443 }] }), { ok: true, ips: [far], shared: true }),
    alloc(v6('s6', { share: 'k', ports: [{ port: 53, protocol: 'UDP' }] }), { ok: true, ips: ['2001:db8::1'] }),
    release('default/s4', { released: [far], freed: [] }),
  ]);
  t.same(a.holders(far), ['default/s5']);
  t.equal(a.usage()[0]?.ipv6.assigned, 3n);
});

t.test('portKeys returns a list of its own; holdings report their ports', async (t) => {
  const s = svc('p', { ports: [{ port: 80 }] });
  const mine = portKeys(s);
  mine.push('UDP/53');
  t.same(portKeys(s), ['TCP/80']);
  t.same(portKeys(svc('q', { ports: [{ port: 53, protocol: 'udp' }, { port: 80 }, { port: 53, protocol: 'UDP' }] })), ['TCP/80', 'UDP/53']);
  const a = new Allocator(pools({ p: { addresses: ['198.51.100.0/30'] } }));
  a.allocate(s);
  a.allocate(svc('r', { ports: [{ port: 80 }] }));
  t.same([a.get('default/p')?.ports, a.get('default/r')?.ports], [['TCP/80'], ['TCP/80']]);
});
