// Imported first by main.ts, so that it runs before the rest of the
// program loads: a speaker keeps one malloc arena (SPEAKER_MALLOC_ARENAS).
// glibc gives each thread that allocates an arena of its own, and V8's
// worker threads start allocating while modules load; an arena, once
// made, stays with the pages it touched. MALLOC_ARENA_MAX would set this at
// start-up, but glibc ignores it in the speaker's image, whose node has
// file capabilities (AT_SECURE). Without the addon nothing is set (the
// speaker says so once it has a logger).
import { loadMemoryAddon, SPEAKER_MALLOC_ARENAS } from '../util/malloc-trim.js';

if (process.argv[2] === 'speaker') loadMemoryAddon(() => undefined)?.limitArenas(SPEAKER_MALLOC_ARENAS);
