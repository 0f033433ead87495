// dist/bundle/shoal.js, what the container images run
// (src/packaging/bundle.mjs), with the chunks it loads per command from
// dist/bundle/chunks/: it starts and answers as the compiled CLI does, finds
// package.json from where it lies, leaves out of itself only node's
// built-ins and the packages it is meant to load from node_modules, and a
// process loads only the code of its own command.
import { spawnSync } from 'node:child_process';
import { builtinModules, createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { bundlePath, repoRoot } from '../support/dist.js';

interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<string, { entryPoint?: string; inputs: Record<string, { bytesInOutput: number }>; imports: { path: string; kind: string; external?: boolean }[] }>;
}

const metaPath = `${bundlePath}.meta.json`;
const missing = [bundlePath, metaPath].find((p) => !existsSync(p));
if (missing) {
  t.plan(0, `${missing} missing: run "npm run build" first`);
} else {
  const { EXTERNAL } = (await import(join(repoRoot, 'src', 'packaging', 'bundle.mjs'))) as { EXTERNAL: string[] };
  const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const run = (...args: string[]) => spawnSync(process.execPath, [bundlePath, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_OPTIONS: '' } });

  t.test('the bundle starts: --version is the package version, found from dist/bundle/', async (t) => {
    const r = run('--version');
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout.trim(), version);
    const help = run('--help');
    t.equal(help.status, 0, help.stderr);
    for (const command of ['speaker', 'controller', 'validate', 'status']) t.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'), `${command} is a command`);
  });

  t.test('shoal validate through the bundle: the examples are valid, a bad pool is refused with its path', async (t) => {
    const good = run('validate', join(repoRoot, 'k8s/examples/layer2.yaml'), join(repoRoot, 'k8s/examples/bgp-bfd.yaml'));
    t.equal(good.status, 0, good.stderr + good.stdout);
    t.match(good.stdout, /^ok: 2 file\(s\)/);
    const dir = mkdtempSync(join(tmpdir(), 'shoal-bundle-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const bad = join(dir, 'pool.yaml');
    writeFileSync(bad, 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: x, namespace: metallb-system}\nspec: {addresses: [192.0.2.300/32]}\n');
    const r = run('validate', bad);
    t.equal(r.status, 1, r.stderr);
    t.match(r.stdout, /IPAddressPool metallb-system\/x spec\.addresses\[0\]/);
  });

  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Metafile;
  const outputs = Object.values(meta.outputs);
  const imports = outputs.flatMap((o) => o.imports);
  const bytesOf = new Map<string, number>();
  for (const o of outputs) for (const [p, i] of Object.entries(o.inputs)) bytesOf.set(p, (bytesOf.get(p) ?? 0) + i.bytesInOutput);
  const outputNamed = (path: string): string => {
    const name = Object.keys(meta.outputs).find((o) => o === path || o.endsWith(`/${path.replace(/^.*\//, '')}`));
    if (!name) throw new Error(`${path}: no such output in the metafile`);
    return name;
  };
  /** The inputs a process has loaded once `roots` ran: the outputs they import statically, transitively. */
  const loadedBy = (roots: string[]): Set<string> => {
    const seen = new Set<string>();
    const visit = (o: string): void => {
      if (seen.has(o)) return;
      seen.add(o);
      for (const i of meta.outputs[o]!.imports) if (i.kind === 'import-statement' && !i.external) visit(outputNamed(i.path));
    };
    roots.forEach(visit);
    return new Set([...seen].flatMap((o) => Object.entries(meta.outputs[o]!.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([p]) => p)));
  };
  const entry = outputNamed('dist/bundle/shoal.js');
  /** The chunk a command's `await import('./x-run.js')` loads. */
  const chunkOf = (source: string): string => {
    const o = Object.entries(meta.outputs).find(([, v]) => v.entryPoint === source);
    if (!o) throw new Error(`${source} is not a chunk of its own: is it still imported dynamically?`);
    return o[0];
  };

  t.test('left out of the bundle: node built-ins, the native-addon packages, and optional packages their users guard', async (t) => {
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    // Required inside try/catch by node-fetch (encoding): absent, it falls
    // back to JavaScript. (ws, which guards two more, came with client-node's
    // index and is not bundled now that shoal imports its modules one by one.)
    const guarded = ['encoding'];
    const external = [...new Set(imports.filter((i) => i.external).map((i) => i.path))];
    const packages = external.filter((p) => !builtins.has(p)).sort();
    t.same(packages, [...new Set([...guarded, 'msgpackr-extract'])].sort(), 'no other package is loaded from node_modules by a static import or require');
    t.ok(EXTERNAL.includes('msgpackr-extract') && EXTERNAL.includes('raw-socket'));
    // raw-socket is loaded with createRequire (src/announce/l2/system-io.ts),
    // which the bundler cannot see: it must resolve from the bundle's place.
    const need = createRequire(bundlePath);
    for (const p of EXTERNAL) t.ok(need.resolve(p), `${p} resolves from dist/bundle/`);
    for (const p of Object.keys(meta.inputs)) {
      t.notOk(EXTERNAL.some((e) => p.startsWith(`node_modules/${e}/`)), `${p}: an external package was inlined`);
    }
  });

  t.test("no generated API or model class of @kubernetes/client-node is in the bundle", async (t) => {
    // ApiException is what KubeRest throws, as the typed calls do; nothing
    // else of the generated API, model or parameter-object modules.
    const generated = [...bytesOf.keys()]
      .filter((p) => /@kubernetes\/client-node\/dist\/gen\/(apis|models|types)\//.test(p))
      .map((p) => p.replace(/.*\/dist\/gen\//, ''));
    t.same(generated, ['apis/exception.js'], 'requests go through src/kube/rest.ts, objects stay as sent');
    t.ok([...bytesOf.keys()].some((p) => p.endsWith('@kubernetes/client-node/dist/config.js')), 'KubeConfig is bundled');
    t.ok([...bytesOf.keys()].some((p) => p.endsWith('@kubernetes/client-node/dist/cache.js')), 'so is ListWatch');
  });

  t.test("whatwg-url is node's URL: its Unicode table (tr46) is not in the bundle", async (t) => {
    t.notOk([...bytesOf.keys()].some((p) => p.startsWith('node_modules/tr46/') || p.startsWith('node_modules/whatwg-url/')), 'no tr46 or whatwg-url source');
    t.ok([...bytesOf.keys()].some((p) => p.startsWith('node_modules/node-fetch/')), 'node-fetch, which imported it, is bundled');
  });

  t.test('a process loads only the code of its command', async (t) => {
    const has = (loaded: Set<string>, prefix: string): boolean => [...loaded].some((p) => p.startsWith(prefix));
    const start = loadedBy([entry]);
    for (const heavy of ['node_modules/@kubernetes/client-node/', 'node_modules/yaml/', 'node_modules/prom-client/', 'node_modules/msgpackr/', 'src/cluster/cluster.ts', 'src/announce/l2/announcer.ts', 'src/config/', 'src/controller/']) {
      t.notOk(has(start, heavy), `the entry (every command's start, --help) loads no ${heavy}`);
    }
    const controller = loadedBy([entry, chunkOf('src/cli/controller-run.ts')]);
    t.ok(has(controller, 'src/controller/') && has(controller, 'node_modules/@kubernetes/client-node/'), 'the controller loads its own code and the Kubernetes client');
    for (const other of ['src/cluster/cluster.ts', 'node_modules/msgpackr/', 'src/announce/l2/announcer.ts', 'src/announce/election.ts', 'src/bgp/', 'src/speaker/speaker.ts']) t.notOk(has(controller, other), `the controller loads no ${other}`);
    const speaker = loadedBy([entry, chunkOf('src/cli/speaker-kube.ts')]);
    t.ok(has(speaker, 'src/bgp/') && has(speaker, 'src/cluster/cluster.ts'), 'the speaker loads BGP and gossip');
    for (const other of ['src/controller/', 'src/alloc/']) t.notOk(has(speaker, other), `the speaker loads no ${other}`);
    const fileSpeaker = loadedBy([entry, chunkOf('src/cli/speaker-file.ts')]);
    t.notOk(has(fileSpeaker, 'node_modules/@kubernetes/client-node/'), 'file mode loads no Kubernetes client');
  });
}
