import fc from 'fast-check';
import t from 'tap';
import { decodeMacs, encodeMacs, MacDirectory, MACS_META_KEY, MACS_META_MAX_BYTES, MAX_GOSSIPED_MACS, macsMeta } from '../../../src/announce/fencing/member-macs.js';
import { encodedMetaSize } from '../../../src/cluster/codec.js';

const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':'));

t.test('MACs round-trip through the metadata value, sorted, deduplicated, capped', async () => {
  fc.assert(
    fc.property(fc.array(macArb, { maxLength: 12 }), (macs) => {
      const want = [...new Set(macs)].sort().slice(0, MAX_GOSSIPED_MACS);
      const got = decodeMacs(encodeMacs(macs));
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${got.join(',')} != ${want.join(',')}`);
      if (encodedMetaSize(macsMeta(macs)) - encodedMetaSize({}) > MACS_META_MAX_BYTES) throw new Error('over the budget');
    }),
  );
});

t.test('an ill-formed value names no MAC', async (t) => {
  for (const bad of [undefined, 'abc', 'AAAAAAA', '!!!!!!!!', 'A'.repeat(8 * (MAX_GOSSIPED_MACS + 1))]) t.same(decodeMacs(bad), [], String(bad));
  fc.assert(fc.property(fc.string({ maxLength: 100 }), (s) => Array.isArray(decodeMacs(s))));
});

t.test('the directory names members, remembers them after they go, and knows our own MACs', async (t) => {
  const dir = new MacDirectory('a');
  dir.learn([
    { name: 'b', meta: macsMeta(['02:00:00:00:00:0b']) },
    { name: 'a', meta: macsMeta(['02:00:00:00:00:0a']) },
    { name: 'c', meta: { [MACS_META_KEY]: 'garbage' } },
  ]);
  dir.setOwn(['02:00:00:00:00:0a']);
  t.same(dir.attribute('02:00:00:00:00:0b'), { kind: 'member', name: 'b' });
  t.same(dir.attribute('02:00:00:00:00:0a'), { kind: 'self' });
  t.same(dir.attribute('02:00:00:00:00:99'), { kind: 'unknown', mac: '02:00:00:00:00:99' });
  dir.learn([{ name: 'd', meta: macsMeta(['02:00:00:00:00:0b']) }]);
  t.same(dir.attribute('02:00:00:00:00:0b'), { kind: 'member', name: 'd' }, 'a MAC that moved names its new member');
  dir.learn([{ name: 'b', meta: {} }]);
  t.equal(dir.memberOf('02:00:00:00:00:0b'), 'd', 'forgetting is not learning: a member without the entry keeps its old MACs known');
});
