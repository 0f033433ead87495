// What grew between two heap snapshots of one process: the live heap in
// each, then its composition (sample.ts snapshotComposition) by node type
// and by the groups that grew and shrank most. Used on the snapshots a soak
// keeps (run.ts --live-heap --keep-snapshots DIR) to tell V8's compiled
// code from the program's own data (docs/speaker.md, "Growth").
//
//   node dist/bench/memory/snapshot-diff.js BEFORE.heapsnapshot AFTER.heapsnapshot [--top 20]
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { snapshotComposition, type HeapSnapshotJson } from './sample.js';

const argv = process.argv.slice(2);
const topAt = argv.indexOf('--top');
const top = topAt >= 0 ? Number(argv[topAt + 1]) : 20;
if (!Number.isInteger(top) || top < 1) throw new Error(`--top: a whole number >= 1, got ${argv[topAt + 1]}`);
const files = argv.filter((a, i) => !a.startsWith('--') && (topAt < 0 || i !== topAt + 1));
if (files.length !== 2) throw new Error('name two heap snapshot files: the earlier one, then the later one');

type Composition = ReturnType<typeof snapshotComposition>;
const [before, after] = files.map((f) => snapshotComposition(JSON.parse(readFileSync(f, 'utf8')) as HeapSnapshotJson)) as [Composition, Composition];

const KiB = 1024;
const total = (c: Composition): number => [...c.values()].reduce((a, g) => a + g.bytes, 0);
const byType = (c: Composition): Map<string, number> => {
  const out = new Map<string, number>();
  for (const g of c.values()) out.set(g.type, (out.get(g.type) ?? 0) + g.bytes);
  return out;
};
const signed = (bytes: number): string => `${bytes >= 0 ? '+' : ''}${(bytes / KiB).toFixed(1)}`;
const pad = (s: string, n: number): string => s.padStart(n);

console.log(`heap snapshots ${basename(files[0]!)} -> ${basename(files[1]!)}`);
console.log(`live heap: ${(total(before) / 1048576).toFixed(2)} -> ${(total(after) / 1048576).toFixed(2)} MiB (${signed(total(after) - total(before))} KiB)`);
console.log('\nby node type, KiB:');
const tb = byType(before);
const ta = byType(after);
const types = [...new Set([...tb.keys(), ...ta.keys()])].sort((a, b) => (ta.get(b) ?? 0) - (tb.get(b) ?? 0) - ((ta.get(a) ?? 0) - (tb.get(a) ?? 0)));
for (const type of types) {
  const b = tb.get(type) ?? 0;
  const a = ta.get(type) ?? 0;
  console.log(`  ${type.padEnd(20)} ${pad((b / KiB).toFixed(1), 9)} -> ${pad((a / KiB).toFixed(1), 9)}  ${pad(signed(a - b), 8)}`);
}
const groups = [...new Set([...before.keys(), ...after.keys()])].map((key) => {
  const b = before.get(key) ?? { bytes: 0, count: 0 };
  const a = after.get(key) ?? { bytes: 0, count: 0 };
  return { key, change: a.bytes - b.bytes, counts: `${b.count} -> ${a.count}` };
}).sort((x, y) => y.change - x.change);
const show = (title: string, list: typeof groups): void => {
  console.log(`\n${title} (KiB, nodes):`);
  for (const g of list) console.log(`  ${pad(signed(g.change), 8)}  ${pad(g.counts, 15)}  ${g.key}`);
};
show(`the ${top} groups that grew most`, groups.slice(0, top).filter((g) => g.change > 0));
show(`the ${top} that shrank most`, groups.slice(-top).reverse().filter((g) => g.change < 0));
