import fc from 'fast-check';
import HashRing from 'hashring';
import t from 'tap';
import { DEFAULT_VNODES, ketamaKeyHash, MemberRing, PointSet, ringSpread } from '../../src/announce/election-ring.js';
import { addresses } from './election-support.js';

// Member names as Kubernetes node names look. Not all digits: hashring's
// object form orders integer-like keys first, which would only change how
// exact point ties are ordered in the reference ring.
const nameArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}[a-z0-9]$/);
const ipArb = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `198.51.${a}.${b}`),
  fc.nat(0xffff).map((n) => `2001:db8::${n.toString(16)}`),
);

function reference(names: readonly string[], vnodes: number): HashRing {
  const servers: Record<string, { vnodes: number }> = {};
  for (const n of [...names].sort()) servers[n] = { vnodes };
  // 'vnode count' 0 makes hashring take each server's own vnodes as given
  // (its computed share path is the one with the rounding flaw).
  return new HashRing(servers, 'md5', { 'vnode count': 0 });
}

t.test('the walk visits members in exactly the order of hashring range() on the same members', async () => {
  fc.assert(
    fc.property(fc.uniqueArray(nameArb, { minLength: 1, maxLength: 12 }), fc.array(ipArb, { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 60 }), (names, ips, vnodes) => {
      const ring = new MemberRing(vnodes);
      ring.setMembers(names);
      const ref = reference(names, vnodes);
      for (const ip of ips) {
        const want = ref.range(ip);
        const got = ring.order(ip);
        if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${ip}: got ${got.join(',')} want ${want.join(',')}`);
        if (ring.walk(ip, () => true) !== ref.get(ip)) throw new Error(`${ip}: first member differs from hashring get()`);
      }
    }),
    { numRuns: 150 },
  );
});

t.test('ketama key hash is the first four md5 bytes, little-endian', async (t) => {
  t.equal(ketamaKeyHash(''), 0xd98c1dd4, 'md5("") = d41d8cd9...');
  t.equal(ketamaKeyHash('abc'), 0x98500190, 'md5("abc") = 90015098...');
});

t.test("hashring's computed vnode share rounds down for some cluster sizes; member points here do not depend on the size", async (t) => {
  // Why the ring builds each member's points on its own: with the array
  // form, 7 members get floor((1/7) * 40 * 7) = 39 vnodes each, 8 get 40.
  const names = Array.from({ length: 8 }, (_, i) => `node-${i}`);
  const pointsOf = (r: HashRing, n: string): number => (r.points([n]) as unknown as Record<string, number[]>)[n]!.length;
  t.equal(pointsOf(new HashRing(names), 'node-0'), 160);
  t.equal(pointsOf(new HashRing(names.slice(0, 7)), 'node-0'), 156, 'hashring array form: one vnode lost at 7 members');

  // Ours: removing node-7 moves exactly the keys node-7 owned.
  const eight = new MemberRing(40);
  eight.setMembers(names);
  const seven = new MemberRing(40);
  seven.setMembers(names.slice(0, 7));
  const keys = addresses(768);
  let moved = 0;
  for (const k of keys) {
    const before = eight.walk(k, () => true);
    const after = seven.walk(k, () => true);
    if (before !== 'node-7') t.equal(after, before, `${k} stays on ${before}`);
    else moved++;
  }
  t.ok(moved > 0, `node-7 owned ${moved} keys`);
});

t.test('the ring is rebuilt only when the member set changes', async (t) => {
  const ring = new MemberRing(8);
  t.equal(ring.setMembers(['b', 'a', 'c']), true);
  t.equal(ring.setMembers(['c', 'a', 'b', 'a']), false, 'same set, other order, a duplicate');
  t.same(ring.members, ['a', 'b', 'c']);
  t.equal(ring.rebuilds, 1);
  t.equal(ring.setMembers(['a', 'b']), true);
  t.equal(ring.setMembers(['a', 'b', 'c']), true);
  t.equal(ring.rebuilds, 3);
  // Names that would collide if the set were compared as joined text.
  t.equal(ring.setMembers(['a\nb', 'c']), true);
  t.equal(ring.setMembers(['a', 'b\nc']), true);
});

t.test('an empty ring elects nobody; the walk stops where told', async (t) => {
  const ring = new MemberRing(8);
  t.equal(ring.walk('192.0.2.1', () => true), undefined);
  t.same(ring.order('192.0.2.1'), []);
  ring.setMembers(['a', 'b', 'c', 'd']);
  const order = ring.order('192.0.2.1');
  t.same([...order].sort(), ['a', 'b', 'c', 'd'], 'each member once');
  const visited: string[] = [];
  t.equal(
    ring.walk('192.0.2.1', (m) => {
      visited.push(m);
      return visited.length === 3;
    }),
    order[2],
  );
  t.same(visited, order.slice(0, 3));
  t.equal(ring.walk('192.0.2.1', () => false), undefined, 'nobody accepted');
});

t.test('bad vnode counts are refused', async (t) => {
  for (const v of [0, -1, 1.5, 5000, NaN]) t.throws(() => new MemberRing(v), RangeError, String(v));
});

t.test('1,000 VIPs over 10 members: max/mean (figure for issue 4 and docs/election.md)', async (t) => {
  const members = Array.from({ length: 10 }, (_, i) => `node-${i + 1}`);
  // 198.18.0.0/22 (RFC 2544, benchmarking): pure computation, no traffic.
  const v4 = Array.from({ length: 1000 }, (_, i) => `198.18.${i >> 8}.${i & 255}`);
  const v6 = addresses(1000, 6);
  const s4 = ringSpread(members, v4);
  const s6 = ringSpread(members, v6);
  t.equal([...s4.counts.values()].reduce((a, b) => a + b, 0), 1000, 'every VIP has an owner');
  t.equal(s4.mean, 100);
  t.comment(`vnodes ${DEFAULT_VNODES}: IPv4 max/mean ${s4.maxOverMean.toFixed(3)} (min ${s4.min}, max ${s4.max}); IPv6 ${s6.maxOverMean.toFixed(3)} (min ${s6.min}, max ${s6.max})`);
  // A perfectly uniform random assignment gives about 1.16 on average (p95 1.25).
  t.ok(s4.maxOverMean <= 1.25, `IPv4 spread ${s4.maxOverMean}`);
  t.ok(s6.maxOverMean <= 1.25, `IPv6 spread ${s6.maxOverMean}`);
  t.same(ringSpread([], v4).maxOverMean, 0, 'no members, no spread');
});

t.test('a ring patched through membership changes walks as one built from scratch (PointSet sees the arcs)', async () => {
  const pool = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'];
  fc.assert(
    fc.property(fc.array(fc.subarray(pool), { minLength: 1, maxLength: 12 }), fc.array(ipArb, { minLength: 1, maxLength: 20 }), (sets, keys) => {
      const patched = new MemberRing(8);
      for (const set of sets) {
        patched.setMembers(set);
        const fresh = new MemberRing(8);
        fresh.setMembers(set);
        for (const k of keys) {
          const a = patched.order(k).join();
          if (a !== fresh.order(k).join()) throw new Error(`members ${set.join()}: patched ${a}, fresh ${fresh.order(k).join()} from ${k}`);
        }
      }
    }),
    { numRuns: 150 },
  );
});

t.test('PointSet: a walk passed a member exactly when one of its points lies on the walked arc', async () => {
  const names = ['a', 'b', 'c', 'd', 'e', 'f'];
  fc.assert(
    fc.property(fc.subarray(names, { minLength: 1 }), ipArb, fc.nat(names.length - 1), (onRing, key, pick) => {
      const ring = new MemberRing(4);
      ring.setMembers(onRing);
      const order = ring.order(key);
      const stopAt = order[pick % order.length]!;
      ring.walk(key, (m) => m === stopAt);
      const stop = ring.lastStop;
      const passed = new Set(order.slice(0, order.indexOf(stopAt) + 1));
      for (const m of onRing) {
        const hit = new PointSet([ring.pointsOf(m)]).hitsArc(ketamaKeyHash(key), stop);
        if (hit !== passed.has(m)) throw new Error(`${m}: on the arc ${hit}, passed ${passed.has(m)}`);
      }
      // Members not on the ring: on the arc iff a walk with them would meet them before the stop.
      for (const m of names.filter((n) => !onRing.includes(n))) {
        const wider = new MemberRing(4);
        wider.setMembers([...onRing, m]);
        const o = wider.order(key);
        const before = o.indexOf(m) < o.indexOf(stopAt);
        if (new PointSet([ring.pointsOf(m)]).hitsArc(ketamaKeyHash(key), stop) !== before) throw new Error(`${m} (joining): arc and walk disagree`);
      }
    }),
    { numRuns: 300 },
  );
});
