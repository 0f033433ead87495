// The speaker's gossip key: refused start in Kubernetes mode without one,
// a warning every minute (virtual clock) in file mode, /status either way;
// and `shoal keygen`.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { writeKeyFile } from '../../src/cli/keygen.js';
import { gossipKeyPath } from '../../src/cli/speaker-kube.js';
import { loadKeyring } from '../../src/cluster/launch.js';
import { newGossipKey } from '../../src/cluster/new-key.js';
import { encryptionSection, fileGossipKey, kubeGossipKey, UNENCRYPTED_WARNING_INTERVAL_MS, warnWhileUnencrypted } from '../../src/speaker/gossip-key.js';
import { VirtualClock } from '../../src/util/clock.js';
import { createLogger } from '../../src/util/log.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-gossip-key-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('Kubernetes mode: the mounted key, or a refusal that says what to do, or --insecure-gossip', async (t) => {
  const secretDir = join(dir, 'ml_secret_key');
  const missing = gossipKeyPath(secretDir, {});
  await t.rejects(kubeGossipKey(missing, false, 'metallb-system'), /no gossip key at .*ml_secret_key: refusing to gossip unencrypted.*Secret "memberlist" in metallb-system.*--insecure-gossip/);
  await t.rejects(kubeGossipKey(undefined, false, 'metallb-system'), /no gossip key file given/);
  const insecure = await kubeGossipKey(missing, true, 'metallb-system');
  t.equal(insecure.keyring, undefined);
  t.match(insecure.status, { gossip: 'off', keys: 0, warning: /running unencrypted because of --insecure-gossip/ });

  const key = join(dir, 'secretkey');
  writeFileSync(key, `${newGossipKey()}\n${'m'.repeat(24)}\n`);
  const on = await kubeGossipKey(key, false, 'metallb-system');
  t.equal(on.keyring?.size, 2, 'a key ring, primary first');
  t.same(on.status, { gossip: 'on', keyFile: key, keys: 2, warning: null });
  t.equal((await kubeGossipKey(key, true, 'metallb-system')).status.gossip, 'on', '--insecure-gossip only allows running without a key');
  const empty = join(dir, 'empty');
  writeFileSync(empty, '# nothing\n');
  await t.rejects(kubeGossipKey(empty, true, 'metallb-system'), /gossip key .*empty: .*no keys/, 'a key file that holds no key is an error even with --insecure-gossip');
});

t.test('file mode: without gossip.keyFile a warning now and every minute, on the injected clock', async (t) => {
  const key = await fileGossipKey(undefined, '/etc/shoal/speaker.yaml');
  t.equal(key.keyring, undefined);
  t.match(key.status, { gossip: 'off', warning: /\/etc\/shoal\/speaker\.yaml sets no gossip\.keyFile.*shoal keygen/ });
  const clock = new VirtualClock();
  const lines: string[] = [];
  const log = createLogger({ sink: (l) => lines.push(l) });
  const stop = warnWhileUnencrypted(key.status, clock, log, UNENCRYPTED_WARNING_INTERVAL_MS);
  t.equal(lines.length, 1, 'at once');
  clock.advance(59_999);
  t.equal(lines.length, 1);
  clock.advance(1);
  t.equal(lines.length, 2, 'a minute later');
  clock.advance(3 * 60_000);
  t.equal(lines.length, 5, 'each minute');
  t.match(lines[0], /"level":"warn".*gossip is not encrypted/);
  stop();
  clock.advance(10 * 60_000);
  t.equal(lines.length, 5, 'stopped');

  const once: string[] = [];
  warnWhileUnencrypted(key.status, clock, createLogger({ sink: (l) => once.push(l) }), undefined);
  clock.advance(10 * 60_000);
  t.equal(once.length, 1, 'without an interval: once');

  const keyFile = join(dir, 'file-mode.key');
  writeFileSync(keyFile, `${newGossipKey()}\n`);
  const on = await fileGossipKey(keyFile, '/etc/shoal/speaker.yaml');
  const quiet: string[] = [];
  warnWhileUnencrypted(on.status, clock, createLogger({ sink: (l) => quiet.push(l) }), UNENCRYPTED_WARNING_INTERVAL_MS);
  clock.advance(5 * 60_000);
  t.same(quiet, [], 'nothing to say with a key');
});

t.test('the encryption section of /status', async (t) => {
  const off = encryptionSection((await fileGossipKey(undefined, 'f.yaml')).status);
  t.equal(off.name, 'encryption');
  t.match(off.json(), { gossip: 'off', keyFile: null, keys: 0 });
  t.match(off.text(), /^encryption: gossip OFF: gossip is not encrypted: f\.yaml/);
  const keyFile = join(dir, 'status.key');
  writeFileSync(keyFile, `${newGossipKey()}\n`);
  const on = encryptionSection((await fileGossipKey(keyFile, 'f.yaml')).status);
  t.equal(on.text(), `encryption: gossip on (1 key(s) from ${keyFile})`);
  t.notMatch(JSON.stringify(on.json()), readFileSync(keyFile, 'utf8').trim(), 'the key itself never appears');
});

t.test('keygen: 32 random bytes in base64, mode 0600, never over an existing file unless forced', async (t) => {
  const path = join(dir, 'gossip.key');
  await writeKeyFile(path, false);
  const first = readFileSync(path, 'utf8');
  t.match(first, /^[A-Za-z0-9+/]{43}=\n$/);
  t.equal(Buffer.from(first.trim(), 'base64').length, 32);
  t.equal(statSync(path).mode & 0o777, 0o600);
  t.equal((await loadKeyring(path)).size, 1, 'the speaker reads it');
  await t.rejects(writeKeyFile(path, false), /gossip\.key exists: not replacing a gossip key.*--force/);
  t.equal(readFileSync(path, 'utf8'), first, 'untouched');
  chmodSync(path, 0o644);
  await writeKeyFile(path, true);
  const second = readFileSync(path, 'utf8');
  t.not(second, first, 'a new key');
  t.equal(statSync(path).mode & 0o777, 0o600, 'and mode 0600 again, whatever the old file had');
  await t.rejects(writeKeyFile(join(dir, 'no-such-dir', 'k'), true), /ENOENT/);
});
