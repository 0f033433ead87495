// Hands the C heap's free memory back to the system every so often (the
// shoal_memory addon: glibc's malloc_trim). What node allocates outside
// V8's heap (network buffers, the compiler's zones) comes from malloc, and
// glibc keeps what is freed for reuse, so without a trim a process keeps the
// resident size of its busiest moment, such as a large first list from the
// API server. A trim takes a few milliseconds when it has pages to give
// back and well under one when it has none (docs/speaker.md, "Memory").
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repeat, type Clock } from './clock.js';
import { packageRoot } from './package-root.js';

/** Twice a minute: a pause of a few milliseconds at most, rare against gossip's timeouts. */
export const DEFAULT_TRIM_INTERVAL_MS = 30_000;

/**
 * Malloc arenas a Kubernetes-mode speaker keeps: one, shared by its threads
 * (node's main thread, V8's workers, libuv's pool), which allocate little
 * from malloc and seldom at once (docs/speaker.md, "Memory").
 */
export const SPEAKER_MALLOC_ARENAS = 1;

const ADDON_RELATIVE_PATH = join('build', 'Release', 'shoal_memory.node');

/** true: memory released; false: none to release; undefined: not glibc. */
export type Trim = () => boolean | undefined;

/** What the shoal_memory addon offers. */
export interface MemoryAddon {
  trim: Trim;
  /** At most `n` malloc arenas from now on: true when set, false when refused, undefined off glibc. */
  limitArenas: (n: number) => boolean | undefined;
  /** Asks V8 for an incremental collection that gives committed heap back (src/util/heap-release.ts). */
  reduceHeap: () => void;
}

/**
 * The addon, or undefined when it is not built or does not load (built for
 * another node, say): trimming is an optimisation and nothing depends on
 * it, so a process starts without it, and `warn` says why.
 */
export function loadMemoryAddon(warn: (message: string, fields: Record<string, unknown>) => void, root: string | undefined = packageRoot()): MemoryAddon | undefined {
  const path = root ? join(root, ADDON_RELATIVE_PATH) : undefined;
  if (!path || !existsSync(path)) return undefined;
  try {
    const addon = createRequire(import.meta.url)(path) as Partial<MemoryAddon>;
    if (typeof addon.trim !== 'function' || typeof addon.limitArenas !== 'function' || typeof addon.reduceHeap !== 'function') {
      throw new Error('no trim(), limitArenas() or reduceHeap(): an older build of the addon');
    }
    return { trim: addon.trim, limitArenas: addon.limitArenas, reduceHeap: addon.reduceHeap };
  } catch (err) {
    warn('memory addon does not load: freed C heap is not given back to the system', { path, error: (err as Error).message });
    return undefined;
  }
}

/** Calls `trim` every `intervalMs` on `clock` until the returned stop() is called. */
export function startPeriodicTrim(clock: Clock, trim: Trim, intervalMs: number = DEFAULT_TRIM_INTERVAL_MS): () => void {
  if (!(intervalMs > 0)) throw new Error(`malloc trim interval ${intervalMs}: expected a positive number of milliseconds`);
  return repeat(clock, intervalMs, () => void trim());
}
