// The speaker process without a gossip key: in Kubernetes mode it refuses to
// start (unless --insecure-gossip); in file mode it runs, says so in its log
// and in /status.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { waitFor } from '../support/netlab.js';
import { cliPath, distMissing } from '../support/dist.js';
import { freePorts } from '../support/ports.js';

const skip = distMissing() ?? false;

t.test('Kubernetes mode: no key, no start; the error says where the key should be and how to go without', { skip }, async (t) => {
  const r = spawnSync(process.execPath, [cliPath, 'speaker', '--node-name', 'n1', '--kubeconfig', '/nonexistent/kubeconfig'], {
    encoding: 'utf8',
    env: { ...process.env, SHOAL_ML_SECRET_KEY_PATH: '/nonexistent/ml_secret_key', METALLB_ML_SECRET_KEY_PATH: '' },
  });
  t.equal(r.status, 1);
  t.match(r.stderr, /no gossip key at \/nonexistent\/ml_secret_key: refusing to gossip unencrypted.*--insecure-gossip/);
  t.notMatch(r.stderr, /kubeconfig/, 'checked before anything else is tried');
});

t.test('file mode without a key: runs, warns, and /status says encryption is off', { skip }, async (t) => {
  const [gossip, status] = await freePorts(2);
  const dir = mkdtempSync(join(tmpdir(), 'shoal-nokey-'));
  const config = join(dir, 'speaker.yaml');
  writeFileSync(config, `node: solo\ngossip: {bind: "127.0.0.1:${gossip}"}\nstatus: "127.0.0.1:${status}"\nvips: [{address: 192.0.2.100}]\n`);
  const child = spawn(process.execPath, [cliPath, 'speaker', '--config', config, '--layer2', 'off'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (b: Buffer) => (log += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const doc = await waitFor(
    async () => {
      try {
        return (await (await fetch(`http://127.0.0.1:${status}/status`)).json()) as { encryption: { gossip: string; warning: string }; gossip: { encrypted: boolean } };
      } catch {
        return undefined;
      }
    },
    30_000,
    'the status endpoint',
  );
  t.equal(doc.encryption.gossip, 'off');
  t.match(doc.encryption.warning, /speaker\.yaml sets no gossip\.keyFile/);
  t.equal(doc.gossip.encrypted, false);
  // Logged before the status endpoint answered, but the pipe may be read after the answer.
  await waitFor(() => /"level":"warn","msg":"gossip is not encrypted: .*shoal keygen/.test(log), 10_000, 'the warning in the log');
  t.pass('the log warns that gossip is not encrypted');
  child.kill('SIGTERM');
  t.equal(await exited, 0);
});
