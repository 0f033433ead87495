import t from 'tap';
import { ChangeLog, type StoredObject } from '../../../dev/apiserver/history.js';

const obj = (name: string, rv: number, v = 0): StoredObject => ({ metadata: { name, resourceVersion: String(rv) }, v });
const key = (o: StoredObject): string => o.metadata.name;

t.test('capacity evicts the oldest change and moves the compaction point', async (t) => {
  const log = new ChangeLog(3);
  for (let rv = 1; rv <= 5; rv++) log.append({ type: 'ADDED', rv, object: obj(`o${rv}`, rv) });
  t.equal(log.size, 3);
  t.equal(log.compactedRv, 2, 'rv 1 and 2 evicted');
  t.notOk(log.covers(1));
  t.ok(log.covers(2), 'everything after 2 is still held');
  t.same(log.since(3).map((c) => c.rv), [4, 5]);
  t.throws(() => new ChangeLog(0));
});

t.test('compact forgets up to a resourceVersion', async (t) => {
  const log = new ChangeLog(10);
  for (let rv = 1; rv <= 4; rv++) log.append({ type: 'ADDED', rv, object: obj(`o${rv}`, rv) });
  log.compact(3);
  t.equal(log.size, 1);
  t.notOk(log.covers(2));
  t.ok(log.covers(3));
  t.same(log.since(3).map((c) => c.rv), [4]);
});

t.test('snapshotAt undoes newer changes newest first', async (t) => {
  const log = new ChangeLog(10);
  const a1 = obj('a', 1);
  const b2 = obj('b', 2);
  const a3 = obj('a', 3, 1);
  const bGone = obj('b', 4);
  const c5 = obj('c', 5);
  log.append({ type: 'ADDED', rv: 1, object: a1 });
  log.append({ type: 'ADDED', rv: 2, object: b2 });
  log.append({ type: 'MODIFIED', rv: 3, object: a3, prev: a1 });
  log.append({ type: 'DELETED', rv: 4, object: bGone, prev: b2 });
  log.append({ type: 'ADDED', rv: 5, object: c5 });
  const current = new Map([['a', a3], ['c', c5]]);
  t.same([...log.snapshotAt(5, current, key)], [['a', a3], ['c', c5]]);
  t.same(Object.fromEntries(log.snapshotAt(2, current, key)), { a: a1, b: b2 });
  t.same(Object.fromEntries(log.snapshotAt(3, current, key)), { a: a3, b: b2 });
  t.same(Object.fromEntries(log.snapshotAt(0, current, key)), {});
  t.same([...current.keys()], ['a', 'c'], 'current untouched');
});
