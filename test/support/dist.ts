// Tests that start real shoal processes run the compiled CLI in dist/
// (`npm test` builds it first; when running one file by hand, `npm run build`).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/package-root.js';

function findRoot(): string {
  const root = packageRoot();
  if (!root) throw new Error('repository root (the directory with binding.gyp) not found');
  return root;
}

/** The repository root, from test/ as from dist/test/. */
export const repoRoot = findRoot();
export const cliPath = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

/** Why the compiled CLI cannot be used, or undefined when it can. */
export function distMissing(): string | undefined {
  return existsSync(cliPath) ? undefined : `compiled CLI missing at ${cliPath}: run "npm run build" first`;
}
