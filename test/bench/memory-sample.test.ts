import t from 'tap';
import { heapFloor, labelledMetricValue, metricValue, parseFullGc, slope, snapshotComposition, snapshotLiveMiB } from '../../bench/memory/sample.js';

t.test('a full collection is read from a --trace-gc line; scavenges and other lines are not', async (t) => {
  const full = '[31238:0x357548d0]      117 ms: Mark-Compact 27.0 (29.3) -> 6.1 (11.6) MB, 2.73 / 0.00 ms  (+ 0.2 ms in 4 steps since start of marking, biggest step 0.1 ms, walltime since start of marking 11 ms) (average mu = 1.000, current mu = 1.000) finalize incremental marking via stack guard; GC in old space requested';
  t.same(parseFullGc(full), { beforeMiB: 27, afterMiB: 6.1, committedMiB: 11.6, reducing: false, pauseMs: 2.73 });
  const reduce = '[7:0x5f1c2c0]   601234 ms: Mark-Compact (reduce) 19.8 (22.1) -> 17.4 (20.3) MB, 21.50 / 0.00 ms  (average mu = 0.998, current mu = 0.990) memory reducer; GC in old space requested';
  t.same(parseFullGc(reduce), { beforeMiB: 19.8, afterMiB: 17.4, committedMiB: 20.3, reducing: true, pauseMs: 21.5 }, "the memory reducer's collections count too, and say so");
  t.equal(parseFullGc('[31238:0x357548d0]       12 ms: Scavenge 2.1 (3.0) -> 1.9 (4.0) MB, 0.45 / 0.00 ms  (average mu = 1.000, current mu = 1.000) allocation failure;'), undefined);
  t.equal(parseFullGc('{"level":"warn","msg":"Mark-Compact 1 (2) -> 3 (4) MB"}'), undefined, 'a log line that merely quotes one is not one');
});

t.test("a heap space is read by its label from prom-client's exposition", async (t) => {
  const text = [
    'nodejs_heap_size_total_bytes 23068672',
    'nodejs_heap_space_size_total_bytes{space="old"} 17563648',
    'nodejs_heap_space_size_total_bytes{space="code"} 3145728',
    'nodejs_heap_space_size_total_bytes{space="code_large_object"} 0',
    'nodejs_heap_space_size_used_bytes{space="code"} 2621440',
  ].join('\n');
  t.equal(labelledMetricValue(text, 'nodejs_heap_space_size_total_bytes', 'space', 'code'), 3145728, 'not code_large_object, not the used series');
  t.equal(labelledMetricValue(text, 'nodejs_heap_space_size_total_bytes', 'space', 'old'), 17563648);
  t.equal(labelledMetricValue(text, 'nodejs_heap_space_size_total_bytes', 'space', 'map'), undefined, 'a space this V8 does not have');
  t.equal(metricValue(text, 'nodejs_heap_size_total_bytes'), 23068672);
  t.equal(metricValue(text, 'nodejs_heap_space_size_total_bytes'), undefined, 'a labelled series is not read as an unlabelled one');
});

t.test('the floor is the lowest reading; the trend a least-squares slope', async (t) => {
  t.equal(heapFloor([{ usedMiB: 20, totalMiB: 30, externalMiB: 2 }, { usedMiB: 16, totalMiB: 30, externalMiB: 2 }]), 16);
  t.equal(slope([{ x: 0, y: 10 }, { x: 1, y: 12 }, { x: 2, y: 14 }]), 2);
  t.ok(Number.isNaN(slope([{ x: 0, y: 1 }])));
});

t.test('the live heap of a snapshot is the sum of its self sizes', async (t) => {
  const fake = { snapshot: { meta: { node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'] } }, nodes: [0, 0, 1, 1048576, 0, 0, 0, 3, 524288, 0] };
  t.equal(snapshotLiveMiB(fake), 1.5);
  t.throws(() => snapshotLiveMiB({ snapshot: { meta: { node_fields: ['type'] } }, nodes: [] }), /self_size/);
});

t.test("a snapshot's composition groups nodes by type, and by name where the name says what a node is", async (t) => {
  const snapshot = {
    snapshot: { meta: { node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'], node_types: [['hidden', 'object', 'string', 'code']] } },
    strings: ['', 'Timeout', 'a long string', '(code for request)', '(code deopt data)', '(code for apply)'],
    nodes: [
      1, 1, 1, 80, 0, // object Timeout
      1, 1, 3, 80, 0, // object Timeout
      2, 2, 5, 40, 0, // a string: grouped by type alone
      3, 3, 7, 900, 0, // compiled functions: one group
      3, 5, 9, 300, 0,
      3, 4, 11, 500, 0, // code (code deopt data)
    ],
  };
  t.same([...snapshotComposition(snapshot)], [
    ['object Timeout', { type: 'object', bytes: 160, count: 2 }],
    ['string', { type: 'string', bytes: 40, count: 1 }],
    ['code', { type: 'code', bytes: 1200, count: 2 }],
    ['code (code deopt data)', { type: 'code', bytes: 500, count: 1 }],
  ]);
  t.throws(() => snapshotComposition({ snapshot: { meta: { node_fields: ['type', 'self_size'], node_types: [[]] } }, strings: [], nodes: [] }), /type, name and self_size/);
});
