#!/usr/bin/env node
// Builds dist/bundle/shoal.js: the `shoal` command (src/cli/main.ts) and
// everything it imports as minified, tree-shaken ES modules. This is what
// the container images run (Dockerfile; docs/install.md, "Resources").
// shoal.js itself is only the command line; each command's work, which its
// module imports with `await import()` when it runs, is a chunk under
// dist/bundle/chunks/ (esbuild's code splitting), with the code that
// commands share in chunks of its own: a controller does not load the
// gossip, layer 2 and BGP code, nor a speaker the allocator.
//
// Why: @kubernetes/client-node's entry points import every generated API
// and model class. Loaded from node_modules, their source text and compiled
// code cost a process about 30 MiB of RSS (20 MiB of heap) it never uses;
// shoal imports client-node's modules one by one and sends its requests
// without the generated classes (src/kube/rest.ts), and bundled, with the
// plugin below, none of them remain (bench/memory: docs/speaker.md,
// "Memory").
//
// Left outside the bundle (EXTERNAL), loaded from node_modules at run time:
// packages with native addons, which esbuild cannot inline. Our own addons
// (build/Release/*.node) are loaded by path from the package root, which
// src/util/package-root.ts finds above dist/bundle/ as it does above
// dist/src/.
//
//   node src/packaging/bundle.mjs            # or: npm run bundle
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXTERNAL = ['raw-socket', 'msgpackr-extract'];

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUTFILE = join(root, 'dist', 'bundle', 'shoal.js');
/** Where the chunks go, beside OUTFILE: the code of one command each, and what commands share. */
export const CHUNK_DIR = 'chunks';

/**
 * node-fetch (client-node's HTTP) imports whatwg-url, whose module loads a
 * 260 KB Unicode table (tr46) at start-up, only to fall back on it where
 * node has no URL class of its own (`Url.URL || whatwgUrl.URL`). Node has
 * one: in the bundle, whatwg-url is node's URL, and tr46 is left out.
 */
const nodeUrlForWhatwgUrl = {
  name: 'whatwg-url-is-node-url',
  setup(b) {
    b.onResolve({ filter: /^whatwg-url$/ }, () => ({ path: 'whatwg-url', namespace: 'node-url' }));
    b.onLoad({ filter: /.*/, namespace: 'node-url' }, () => ({
      contents: "import { URL, URLSearchParams } from 'node:url'; export { URL, URLSearchParams }; export default { URL, URLSearchParams };",
      loader: 'js',
    }));
  },
};

/**
 * Two of client-node's modules that shoal loads import far more than they
 * use, and what they import names every generated model class (about 700,
 * with the model deserializer's table of them all; src/kube/wire.ts):
 * - config.js (KubeConfig) takes createConfiguration and ServerConfiguration
 *   from the generated index, which re-exports every model;
 * - cache.js (ListWatch) takes the model serializer only to "serialize" its
 *   label and field selectors as type 'string', which the serializer hands
 *   back unchanged.
 * In the bundle, config.js gets those two names from the modules that
 * define them, and cache.js a serializer that does what it asked of the real
 * one for strings and refuses anything else. If a later client-node imports
 * more through these paths, the build fails on the missing export, and the
 * bundle test fails on a model class in the bundle.
 */
const clientNodeWithoutModels = {
  name: 'client-node-without-models',
  setup(b) {
    const from = (importer, file) => importer.replace(/\\/g, '/').endsWith(`@kubernetes/client-node/dist/${file}`);
    b.onResolve({ filter: /^\.\/gen\/index\.js$/ }, (a) =>
      from(a.importer, 'config.js') ? { path: join(dirname(a.importer), 'gen', 'configuration-only.js'), namespace: 'client-node-trimmed' } : undefined);
    b.onResolve({ filter: /^\.\/serializer\.js$/ }, (a) =>
      from(a.importer, 'cache.js') ? { path: join(dirname(a.importer), 'string-serializer.js'), namespace: 'client-node-trimmed' } : undefined);
    b.onLoad({ filter: /configuration-only\.js$/, namespace: 'client-node-trimmed' }, (a) => ({
      contents: "export { createConfiguration } from './configuration.js'; export { ServerConfiguration } from './servers.js';",
      resolveDir: dirname(a.path),
      loader: 'js',
    }));
    b.onLoad({ filter: /string-serializer\.js$/, namespace: 'client-node-trimmed' }, () => ({
      contents: `export const ObjectSerializer = {
  serialize(data, type) {
    if (type !== 'string') throw new Error('client-node ListWatch: only strings are serialized in this build, asked for ' + type);
    return data;
  },
};`,
      loader: 'js',
    }));
  },
};

/** Builds the bundle; returns esbuild's metafile (its inputs and the imports left in it). */
export async function bundle(outfile = OUTFILE) {
  const outdir = dirname(outfile);
  rmSync(join(outdir, CHUNK_DIR), { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { [basename(outfile, '.js')]: join(root, 'src', 'cli', 'main.ts') },
    outdir,
    splitting: true,
    chunkNames: `${CHUNK_DIR}/[name]-[hash]`,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    treeShaking: true,
    // Functions and classes keep their `name` property as written (code that
    // reads constructor.name behaves as unbundled).
    keepNames: true,
    legalComments: 'none',
    external: EXTERNAL,
    plugins: [nodeUrlForWhatwgUrl, clientNodeWithoutModels],
    // CommonJS dependencies call require() for node's built-ins; an ES
    // module has no require of its own.
    banner: { js: "import { createRequire as __shoalCreateRequire } from 'node:module'; const require = __shoalCreateRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'warning',
  });
  writeFileSync(`${outfile}.meta.json`, JSON.stringify(result.metafile));
  return result.metafile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundle();
}
