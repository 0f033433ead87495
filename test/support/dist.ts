// Tests that start real shoal processes run the compiled CLI in dist/
// (`npm test` builds it first; when running one file by hand, `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cliPath = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

/** Why the compiled CLI cannot be used, or undefined when it can. */
export function distMissing(): string | undefined {
  return existsSync(cliPath) ? undefined : `compiled CLI missing at ${cliPath}: run "npm run build" first`;
}
