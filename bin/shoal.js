#!/usr/bin/env node
// The `shoal` command: the compiled CLI (`npm run build` makes dist/).
import '../dist/src/cli/main.js';
