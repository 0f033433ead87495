// What loading one module costs a process: each module given is imported
// into a fresh `node --expose-gc --max-semi-space-size=1` (the speaker
// image's semi-space), which then collects fully and reports its RSS and
// heap used; a fresh node that imports nothing is the baseline, measured
// in the same run, alternating with the modules. Used for the bundle's
// chunks (docs/speaker.md, "Memory").
//
//   node dist/bench/memory/module-cost.js dist/bundle/chunks/chunk-XXXX.js [more.js ...] [--runs 3]
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const runsAt = argv.indexOf('--runs');
const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 3;
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: a whole number >= 1, got ${argv[runsAt + 1]}`);
const modules = argv.filter((a, i) => !a.startsWith('--') && (runsAt < 0 || i !== runsAt + 1));
if (modules.length === 0) throw new Error('name at least one module file to import');

// Runs in the child: import, collect twice with a pause between (V8 frees
// some pages only on the second), then print what the process holds.
const probe = `
const target = process.argv[1];
if (target !== '-') await import(target);
globalThis.gc();
await new Promise((r) => setTimeout(r, 500));
globalThis.gc();
const m = process.memoryUsage();
console.log(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed }));
`;

interface Cost { rssMiB: number; heapMiB: number }

function measure(target: string): Cost {
  const out = execFileSync(process.execPath, ['--expose-gc', '--max-semi-space-size=1', '--input-type=module', '-e', probe, target], { encoding: 'utf8' });
  const m = JSON.parse(out.trim().split('\n').pop()!) as { rss: number; heapUsed: number };
  return { rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const targets = ['-', ...modules.map((m) => pathToFileURL(resolve(m)).href)];
const seen = new Map<string, Cost[]>(targets.map((t) => [t, []]));
for (let r = 0; r < runs; r++) for (const t of targets) seen.get(t)!.push(measure(t));

const base = seen.get('-')!;
const baseRss = median(base.map((c) => c.rssMiB));
const baseHeap = median(base.map((c) => c.heapMiB));
console.log(`module cost: median of ${runs} fresh processes each (node ${process.version}, --max-semi-space-size=1, after two full collections)`);
console.log(`bare node: RSS ${baseRss.toFixed(1)} MiB, heap used ${baseHeap.toFixed(1)} MiB`);
for (const [i, m] of modules.entries()) {
  const c = seen.get(targets[i + 1]!)!;
  const rss = median(c.map((x) => x.rssMiB));
  const heap = median(c.map((x) => x.heapMiB));
  console.log(`${m}: RSS ${rss.toFixed(1)} MiB (+${(rss - baseRss).toFixed(1)}), heap used ${heap.toFixed(1)} MiB (+${(heap - baseHeap).toFixed(1)})`);
}
