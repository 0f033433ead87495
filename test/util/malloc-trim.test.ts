// The periodic malloc trim: on its interval, until stopped; and the addon
// behind it, which gives freed C heap back (glibc) or says it cannot.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import t from 'tap';
import { VirtualClock } from '../../src/util/clock.js';
import { DEFAULT_TRIM_INTERVAL_MS, loadMemoryAddon, startPeriodicTrim } from '../../src/util/malloc-trim.js';
import { repoRoot } from '../support/dist.js';

t.test('trims every interval until stopped', async (t) => {
  const clock = new VirtualClock();
  let trims = 0;
  const stop = startPeriodicTrim(clock, () => (trims++, true), 1000);
  clock.advance(999);
  t.equal(trims, 0, 'not at start: the first trim waits one interval');
  clock.advance(1);
  t.equal(trims, 1);
  clock.advance(5000);
  t.equal(trims, 6);
  stop();
  clock.advance(10_000);
  t.equal(trims, 6, 'none after stop()');
  t.equal(clock.nextAt(), undefined, 'no timer left');
  t.throws(() => startPeriodicTrim(clock, () => true, 0), /interval 0/);
  t.ok(DEFAULT_TRIM_INTERVAL_MS >= 10_000, 'the default is seconds apart, not a busy loop');
});

t.test('the addon: trim() answers whether memory went back; no addon or a broken one, no trim', async (t) => {
  const warned: string[] = [];
  const warn = (message: string): void => void warned.push(message);
  // npm install builds it (binding.gyp): a checkout without it is a broken install.
  const trim = loadMemoryAddon(warn, repoRoot)?.trim;
  if (!trim) return t.fail('build/Release/shoal_memory.node is not built or does not load (run `npx node-gyp rebuild`)');
  // Free a few MiB of C heap (Buffers larger than the pool come from malloc), then trim.
  const allocated = ((): number => Array.from({ length: 2000 }, () => Buffer.alloc(8192)).length)();
  t.equal(allocated, 2000);
  const r = trim();
  t.ok(r === true || r === false || r === undefined, `true, false, or undefined off glibc: ${String(r)}`);
  const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
  if (glibc) t.type(r, 'boolean', `on glibc ${glibc}, malloc_trim ran`);

  // limitArenas caps glibc's malloc arenas (what the speaker sets before its Kubernetes-mode code loads).
  const arenas = loadMemoryAddon(warn, repoRoot)!.limitArenas(8);
  if (glibc) t.equal(arenas, true, 'mallopt(M_ARENA_MAX) accepted');
  else t.equal(arenas, undefined, 'not glibc: nothing to set');
  t.throws(() => (loadMemoryAddon(warn, repoRoot)!.limitArenas as (n?: unknown) => unknown)('one'), /n must be a number/);

  // reduceHeap starts a full (major) collection: one shows up within seconds in an
  // otherwise quiet process, where V8 would otherwise wait for its memory reducer.
  const addon = loadMemoryAddon(warn, repoRoot)!;
  const majors: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (((e as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors.push(e.startTime);
  });
  obs.observe({ entryTypes: ['gc'] });
  t.teardown(() => obs.disconnect());
  await new Promise((r) => setTimeout(r, 50));
  majors.length = 0;
  addon.reduceHeap();
  // Incremental marking finishes in tasks of its own: give it turns of the event loop.
  for (let i = 0; i < 300 && majors.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.ok(majors.length > 0, 'a major collection ran after reduceHeap()');

  const empty = mkdtempSync(join(tmpdir(), 'shoal-trim-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  t.equal(loadMemoryAddon(warn, empty)?.trim, undefined, 'a package root without the addon: no trim');
  t.same(warned, [], 'and no warning: not built is not an error');
  mkdirSync(join(empty, 'build', 'Release'), { recursive: true });
  writeFileSync(join(empty, 'build', 'Release', 'shoal_memory.node'), 'not a shared object');
  t.equal(loadMemoryAddon(warn, empty)?.trim, undefined, 'an addon that does not load: no trim, no throw');
  t.match(warned, [/memory addon does not load/], 'and a warning says so');
});
