// The Dockerfile, checked without building it (no container engine here):
// its stages and what each holds, that every file it copies from the context
// exists and is sent by .dockerignore, that what it copies from the build
// stage is what the build produces (this repository's own build makes the
// same files), the user it runs as, and that the speaker's file capabilities
// are the ones the DaemonSet adds.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CONTROLLER_NODE_FLAGS, SPEAKER_NODE_FLAGS } from '../../bench/memory/system.js';
import { effective, makeIgnore, parseCopy, parseDockerfile, type Stage } from './support/dockerfile.js';
import { REPO, find, installed } from './support/manifests.js';

const { args, stages } = parseDockerfile(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));
const sent = makeIgnore(readFileSync(join(REPO, '.dockerignore'), 'utf8'));
const stage = (name: string): Stage => {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
};
const runs = (s: Stage): string => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
const copies = (s: Stage) => s.instructions.filter((i) => i.keyword === 'COPY').map(parseCopy);

t.test('stages: build, runtime, and the controller and speaker targets', async (t) => {
  t.same(stages.map((s) => [s.name, s.from]), [
    ['build', `node:${args.get('NODE_VERSION')}-${args.get('DEBIAN_RELEASE')}-slim`],
    ['runtime', `debian:${args.get('DEBIAN_RELEASE')}-slim`],
    ['controller', 'runtime'],
    ['speaker', 'runtime'],
  ]);
  const engines = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  t.equal(engines, `>=${args.get('NODE_VERSION')}`, 'the image builds with the oldest Node the package supports, as CI tests it');
});

t.test('build stage: compilers for the addons, npm ci, tsc, production dependencies only', async (t) => {
  const build = runs(stage('build'));
  t.match(build, /apt-get install -y --no-install-recommends python3 make g\+\+/);
  t.match(build, /npm ci/);
  t.match(build, /npx tsc -p tsconfig\.json/);
  t.match(build, /node src\/packaging\/bundle\.mjs/, 'the bundle the images run');
  t.match(build, /npm prune --omit=dev/);
  t.ok(runs(stage('build')).indexOf('npm ci') < runs(stage('build')).indexOf('tsc'), 'dependencies (and addons) before the TypeScript');
});

t.test('every file copied from the context exists and is sent to the builder', async (t) => {
  const fromContext = stages.flatMap((s) => copies(s).filter((c) => c.from === undefined));
  t.ok(fromContext.length >= 4);
  for (const c of fromContext) {
    for (const src of c.sources) {
      t.ok(existsSync(join(REPO, src)), `${src} exists (line ${c.line})`);
      t.ok(sent(src), `${src} is not excluded by .dockerignore`);
    }
  }
  for (const notSent of ['node_modules/yaml/package.json', 'dist/src/cli/main.js', 'dev/apiserver/server.ts', 'dev/demo/command.ts', 'build/Release/shoal_packet.node', '.git/HEAD', 'test/k8s/crds.test.ts', 'k8s/speaker.yaml', 'README.md']) {
    t.notOk(sent(notSent), `${notSent} stays out of the image`);
  }
  for (const needed of ['src/cli/main.ts', 'src/packaging/bundle.mjs', 'native/packet.cc', 'package-lock.json']) t.ok(sent(needed), `${needed} is sent`);
});

t.test('the runtime copies exactly what the build stage made, at the paths the code expects', async (t) => {
  const runtime = copies(stage('runtime'));
  t.ok(runtime.every((c) => c.from === 'build'), 'the runtime takes nothing from the context');
  const sources = runtime.flatMap((c) => c.sources);
  t.same(sources, [
    '/usr/local/bin/node',
    '/src/package.json',
    '/src/binding.gyp',
    '/src/node_modules/',
    '/src/dist/bundle/shoal.js',
    '/src/dist/bundle/chunks/',
    '/src/build/Release/*.node',
  ]);
  // The build stage's WORKDIR is /src and mirrors this repository: each source
  // is a file copied there from the context or an output of npm ci / tsc /
  // node-gyp, which this repository's own build produces at the same path.
  t.equal(effective(stages, stage('build'), 'WORKDIR'), '/src');
  t.ok(existsSync(join(REPO, 'dist/bundle/shoal.js')), 'the bundle (run `npm run build` first)');
  t.ok(readdirSync(join(REPO, 'dist/bundle/chunks')).some((f) => f.endsWith('.js')), 'the chunks the bundle loads per command');
  const gyp = JSON.parse(readFileSync(join(REPO, 'binding.gyp'), 'utf8').replace(/^\s*#.*$/gm, '')) as { targets: { target_name: string }[] };
  const built = readdirSync(join(REPO, 'build/Release')).filter((f) => f.endsWith('.node')).sort();
  t.same(built, gyp.targets.map((x) => `${x.target_name}.node`).sort(), 'node-gyp builds one .node per binding.gyp target');
  t.equal(effective(stages, stage('runtime'), 'WORKDIR'), '/app');
  t.equal(effective(stages, stage('runtime'), 'ENTRYPOINT'), '["/usr/local/bin/node", "/app/dist/bundle/shoal.js"]', 'dist/bundle/shoal.js under /app');
  t.equal(effective(stages, stage('speaker'), 'ENTRYPOINT'), '["/usr/local/bin/node", "--max-semi-space-size=1", "/app/dist/bundle/shoal.js"]', 'the speaker runs the same bundle');
  t.equal(effective(stages, stage('controller'), 'ENTRYPOINT'), '["/usr/local/bin/node", "--max-semi-space-size=1", "--single-threaded", "/app/dist/bundle/shoal.js"]', 'the controller too, with the same young generation and no V8 worker threads');
  // The benchmarks start the processes with these flags to measure what the images run.
  const entry = (flags: readonly string[]): string => JSON.stringify(['/usr/local/bin/node', ...flags, '/app/dist/bundle/shoal.js']).replaceAll('","', '", "');
  t.equal(effective(stages, stage('speaker'), 'ENTRYPOINT'), entry(SPEAKER_NODE_FLAGS), "bench/memory's SPEAKER_NODE_FLAGS are the speaker image's");
  t.equal(effective(stages, stage('controller'), 'ENTRYPOINT'), entry(CONTROLLER_NODE_FLAGS), "bench/memory's CONTROLLER_NODE_FLAGS are the controller image's");
  t.ok(existsSync(join(REPO, 'src/cli/main.ts')));
});

t.test('the images run as a numeric non-root user; each target runs its command', async (t) => {
  for (const target of ['controller', 'speaker']) {
    t.equal(effective(stages, stage(target), 'USER'), '65532:65532', `${target}: numeric, so the kubelet can verify runAsNonRoot`);
  }
  t.equal(effective(stages, stage('controller'), 'CMD'), '["controller"]');
  t.equal(effective(stages, stage('speaker'), 'CMD'), '["speaker"]');
  t.match(runs(stage('runtime')), /find \/ -xdev -perm \/6000 -type f -exec chmod a-s \{\} \+/, 'no set-user-ID programs');
  t.equal(runs(stage('controller')), '', 'the controller target adds nothing, file capabilities least of all');
});

t.test("the speaker's file capabilities are exactly the DaemonSet's added capabilities", async (t) => {
  const m = /setcap (\S+)\+ep \/usr\/local\/bin\/node/.exec(runs(stage('speaker')));
  t.ok(m, 'setcap on the node binary, in a RUN of the speaker stage');
  const fileCaps = (m?.[1] ?? '').split(',').map((c) => c.replace(/^cap_/, '').toUpperCase()).sort();
  const ds = find<{ spec: { template: { spec: { containers: { securityContext: { capabilities: { add: string[] } } }[] } } } }>(installed().map((o) => o.obj), 'DaemonSet', 'shoal-speaker');
  const added = [...(ds.spec.template.spec.containers[0]?.securityContext.capabilities.add ?? [])].sort();
  t.same(fileCaps, added, 'a file capability missing from the bounding set would make the exec fail with EPERM');
  t.match(runs(stage('speaker')), /apt-get purge -y --auto-remove libcap2-bin/, 'setcap does not stay in the image');
});

t.test('the parsers used above', async (t) => {
  const ignore = makeIgnore('*\n!src\n!a/b.txt\nsrc/secret\n');
  t.same(['src/x.ts', 'src/secret', 'src/secret/k', 'a/b.txt', 'a/c.txt', 'x'].map(ignore), [true, false, false, true, false, false]);
  const { stages: s } = parseDockerfile('ARG V=1\nFROM img:${V} AS one\n# c\nRUN a \\\n  b\nFROM one AS two\nCOPY --from=one ["/x y", "/z"]\n');
  t.same(s.map((x) => [x.name, x.from, x.instructions.map((i) => [i.keyword, i.args])]), [
    ['one', 'img:1', [['RUN', 'a b']]],
    ['two', 'one', [['COPY', '--from=one ["/x y", "/z"]']]],
  ]);
  t.same(parseCopy((s[1] as Stage).instructions[0] as never), { from: 'one', sources: ['/x y'], dest: '/z', line: 7 });
});
