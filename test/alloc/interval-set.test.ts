import fc from 'fast-check';
import t from 'tap';
import { IntervalSet, NumberIntervalSet } from '../../src/alloc/interval-set.js';

t.test('matches a plain set under random adds and deletes, intervals stay maximal, tree stays balanced', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 200 })), { maxLength: 400 }), (ops) => {
      const s = new IntervalSet();
      const model = new Set<number>();
      for (const [add, x] of ops) {
        if (add && !model.has(x)) {
          s.add(BigInt(x));
          model.add(x);
        } else if (!add && model.has(x)) {
          s.delete(BigInt(x));
          model.delete(x);
        }
      }
      const ivs = s.toArray();
      for (let i = 1; i < ivs.length; i++) if ((ivs[i - 1]?.end ?? 0n) + 1n >= (ivs[i]?.start ?? 0n)) return false;
      const points = ivs.flatMap((iv) => Array.from({ length: Number(iv.end - iv.start + 1n) }, (_, k) => Number(iv.start) + k));
      if (points.join() !== [...model].sort((a, b) => a - b).join()) return false;
      if (s.size !== BigInt(model.size) || s.intervalCount !== ivs.length) return false;
      for (let x = 0; x <= 202; x++) {
        if (s.has(BigInt(x)) !== model.has(x)) return false;
        let y = x;
        while (model.has(y)) y++;
        if (s.lowestAbsentFrom(BigInt(x)) !== BigInt(y)) return false;
      }
      return s.height <= Math.ceil(1.45 * Math.log2(ivs.length + 2)) + 1;
    }),
    { numRuns: 300 },
  );
  t.pass('property held');
});

t.test('misuse throws instead of corrupting', async (t) => {
  const s = new IntervalSet();
  s.addRange(10n, 20n);
  t.throws(() => s.add(15n));
  t.throws(() => s.addRange(5n, 10n));
  t.throws(() => s.delete(21n));
  t.throws(() => s.addRange(3n, 2n));
  s.addRange(21n, 30n);
  t.same(s.toArray(), [{ start: 10n, end: 30n }], 'adjacent ranges merge');
  s.delete(25n);
  t.same(s.toArray(), [{ start: 10n, end: 24n }, { start: 26n, end: 30n }]);
});

t.test('height stays logarithmic for 100k sorted inserts of isolated points', async (t) => {
  const s = new IntervalSet();
  for (let i = 0; i < 100_000; i++) s.add(BigInt(i * 2));
  t.equal(s.intervalCount, 100_000);
  t.ok(s.height <= 25, `height ${s.height}`);
});

t.test('the number-point set obeys the same model', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 200 })), { maxLength: 400 }), (ops) => {
      const s = new NumberIntervalSet();
      const model = new Set<number>();
      for (const [add, x] of ops) {
        if (add && !model.has(x)) {
          s.add(x);
          model.add(x);
        } else if (!add && model.has(x)) {
          s.delete(x);
          model.delete(x);
        }
      }
      const ivs = s.toArray();
      const points = ivs.flatMap((iv) => Array.from({ length: iv.end - iv.start + 1 }, (_, k) => iv.start + k));
      if (points.join() !== [...model].sort((a, b) => a - b).join() || s.size !== model.size) return false;
      for (let x = 0; x <= 202; x++) {
        let y = x;
        while (model.has(y)) y++;
        if (s.has(x) !== model.has(x) || s.lowestAbsentFrom(x) !== y) return false;
      }
      return ivs.every((iv, i) => i === 0 || (ivs[i - 1] as { end: number }).end + 1 < iv.start);
    }),
    { numRuns: 300 },
  );
  t.pass('property held');
});
