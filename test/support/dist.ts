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
/** The bundle the container images run (src/packaging/bundle.mjs). */
export const bundlePath = join(repoRoot, 'dist', 'bundle', 'shoal.js');
/** The development command line: the demo and the Kubernetes API server double. */
export const devCliPath = join(repoRoot, 'dist', 'dev', 'cli.js');

/** Why the compiled CLI cannot be used, or undefined when it can. */
export function distMissing(): string | undefined {
  for (const path of [cliPath, devCliPath]) if (!existsSync(path)) return `compiled CLI missing at ${path}: run "npm run build" first`;
  return undefined;
}
