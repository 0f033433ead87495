import t from 'tap';
import { heapFloor, parseFullGc, slope, snapshotLiveMiB } from '../../bench/memory/sample.js';

t.test('a full collection is read from a --trace-gc line; scavenges and other lines are not', async (t) => {
  const full = '[31238:0x357548d0]      117 ms: Mark-Compact 27.0 (29.3) -> 6.1 (11.6) MB, 2.73 / 0.00 ms  (+ 0.2 ms in 4 steps since start of marking, biggest step 0.1 ms, walltime since start of marking 11 ms) (average mu = 1.000, current mu = 1.000) finalize incremental marking via stack guard; GC in old space requested';
  t.same(parseFullGc(full), { beforeMiB: 27, afterMiB: 6.1, committedMiB: 11.6 });
  const reduce = '[7:0x5f1c2c0]   601234 ms: Mark-Compact (reduce) 19.8 (22.1) -> 17.4 (20.3) MB, 21.50 / 0.00 ms  (average mu = 0.998, current mu = 0.990) memory reducer; GC in old space requested';
  t.same(parseFullGc(reduce), { beforeMiB: 19.8, afterMiB: 17.4, committedMiB: 20.3 }, "the memory reducer's collections count too");
  t.equal(parseFullGc('[31238:0x357548d0]       12 ms: Scavenge 2.1 (3.0) -> 1.9 (4.0) MB, 0.45 / 0.00 ms  (average mu = 1.000, current mu = 1.000) allocation failure;'), undefined);
  t.equal(parseFullGc('{"level":"warn","msg":"Mark-Compact 1 (2) -> 3 (4) MB"}'), undefined, 'a log line that merely quotes one is not one');
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
