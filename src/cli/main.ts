#!/usr/bin/env node
// The `shoal` command. What must happen before the program loads happens
// here first (a speaker's malloc arenas: malloc-arenas.ts); the command
// line itself is program.ts, imported only then, so that in the bundle its
// code, shared with every command, is not evaluated before.
import './malloc-arenas.js';

await import('./program.js');
