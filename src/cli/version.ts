import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function findVersion(): string {
  // dist/src/cli -> package.json is three or four levels up depending on build layout.
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = require(rel) as { name?: string; version?: string };
      if (pkg.name === 'shoal' && pkg.version) return pkg.version;
    } catch {
      // try the next layout
    }
  }
  return '0.0.0';
}

export const VERSION = findVersion();
