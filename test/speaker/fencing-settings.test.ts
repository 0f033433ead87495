import t from 'tap';
import { parseDelayList, parseMsFlag, parseOnOff, yieldWindowMs } from '../../src/speaker/fencing-settings.js';
import { MemberMeta } from '../../src/speaker/member-meta.js';
import { decodeMacs, MACS_META_KEY } from '../../src/announce/fencing/member-macs.js';

t.test('the Kubernetes-mode flags', async (t) => {
  t.same(parseDelayList('--heal-burst', '0,500,2000'), [0, 500, 2000]);
  t.same(parseDelayList('--heal-burst', 'off'), []);
  t.same(parseDelayList('--heal-burst', ''), []);
  t.throws(() => parseDelayList('--heal-burst', '0,x'), /--heal-burst 0,x: "x" is not a delay/);
  t.throws(() => parseDelayList('--heal-burst', '500,0'), /comes before/);
  t.throws(() => parseDelayList('--heal-burst', '0,,1'), /not a delay/);
  t.equal(parseMsFlag('--reassert-interval', '0'), 0);
  t.equal(parseMsFlag('--reassert-interval', '3000'), 3000);
  t.throws(() => parseMsFlag('--reassert-interval', '-5'), /--reassert-interval -5/);
  t.throws(() => parseMsFlag('--reassert-interval', ''), /milliseconds/);
  t.equal(parseOnOff('--conflict-resolution', 'off'), false);
  t.throws(() => parseOnOff('--conflict-resolution', 'yes'), /on or off/);
});

t.test('a yield outlives a few of the winner\'s re-assertion cycles', async (t) => {
  t.ok(yieldWindowMs(3000) > 3 * 3000 * 1.2, `${yieldWindowMs(3000)} ms`);
  t.equal(yieldWindowMs(0), 10_000, 're-assertion off');
});

t.test('the member metadata merges the mode\'s entries and the MACs, and publishes only changes', async (t) => {
  const published: Record<string, string>[] = [];
  const meta = new MemberMeta({ setMeta: (m) => published.push({ ...m }) }, { version: '1' });
  meta.setMacs(['02:00:00:00:00:01']);
  meta.setMacs(['02:00:00:00:00:01']);
  meta.setBase({ version: '1', 'label/rack': 'r1' });
  t.equal(published.length, 2, 'one publication per change');
  t.equal(published[1]!['label/rack'], 'r1');
  t.same(decodeMacs(published[1]![MACS_META_KEY]), ['02:00:00:00:00:01'], 'the MACs survive a change of the mode\'s entries');
});
