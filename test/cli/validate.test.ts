// `shoal validate` on speaker files and on names that are not files: the
// exit status its help promises (0 valid, 1 invalid, 2 usage).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { EXIT_INVALID, EXIT_USAGE, EXIT_VALID } from '../../src/cli/validate.js';
import { runValidate } from '../../src/cli/validate-run.js';
import { DEFAULT_FILE_LIMITS } from '../../src/speaker/file-limits.js';
import { cliPath, distMissing, repoRoot } from '../support/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-validate-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const seed = join(repoRoot, 'test/config/fixtures/seed.yaml');

async function validate(files: string[], limits = DEFAULT_FILE_LIMITS): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runValidate(files, (s) => (out += s), limits);
  return { code, out };
}

const goodSpeaker = file('lb-1.yaml', 'node: lb-1\ngossip: {join: [192.0.2.11], keyFile: /etc/shoal/gossip.key}\nvips:\n  - {address: 192.0.2.100, name: web}\n');
const badSpeaker = file('lb-2.yaml', 'node: lb-2\nvips:\n  - {address: 192.0.2.300}\n  - {address: 192.0.2.101, interfaces: [eth0, eth0]}\n');

t.test('speaker files are recognised and checked with the speaker\'s own parser', async (t) => {
  const ok = await validate([goodSpeaker, seed]);
  t.equal(ok.code, EXIT_VALID);
  t.match(ok.out, /^ok: 2 file\(s\), 1 speaker config\(s\), 0 metallb\.io object\(s\), 1 legacy config\(s\)/);
  const bad = await validate([badSpeaker]);
  t.equal(bad.code, EXIT_INVALID);
  t.match(bad.out, new RegExp(`lb-2\\.yaml \\(document 1\\): vips\\[0\\]\\.address: "192\\.0\\.2\\.300" is not an IP address`));
  t.match(bad.out, /vips\[1\]\.interfaces\[1\]: "eth0" is listed twice/);
  t.match(bad.out, /2 error\(s\): 1 file\(s\), 1 speaker config\(s\)/);
  const two = await validate([file('two.yaml', 'vips: [{address: 192.0.2.1}]\n---\nvips: []\n')]);
  t.match(two, { code: EXIT_INVALID, out: /expected exactly one YAML document/ }, 'one document per speaker file, as the speaker reads it');
});

t.test('limits apply as in the speaker', async (t) => {
  const three = file('three.yaml', 'vips: [{address: 192.0.2.1}, {address: 192.0.2.2}, {address: 192.0.2.3}]\n');
  t.equal((await validate([three])).code, EXIT_VALID);
  const over = await validate([three], { ...DEFAULT_FILE_LIMITS, maxVips: 2 });
  t.match(over, { code: EXIT_INVALID, out: /vips: 3 VIPs, more than the limit of 2 \(raise it with --max-vips\)/ });
  const big = await validate([three], { ...DEFAULT_FILE_LIMITS, maxFileBytes: 10 });
  t.match(big, { code: EXIT_INVALID, out: /three\.yaml: \d+ bytes, more than the limit of 10 \(raise it with --max-file-size\)/ }, 'a file too large is invalid, not a usage error');
});

// The row: `shoal validate` on a directory exited 1, where its help says 2.
t.test('a name that is not a readable file is a usage error: 2', async (t) => {
  t.match(await validate([seed, dir]), { code: EXIT_USAGE, out: `cannot read ${dir}: a directory, not a file\n` });
  t.match(await validate([join(dir, 'missing.yaml')]), { code: EXIT_USAGE, out: /cannot read .*missing\.yaml: ENOENT/ });
});

t.test('on the command line', { skip: distMissing() ?? false }, async (t) => {
  const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  t.match(run('validate', dir), { status: 2, stdout: /a directory, not a file/ });
  t.match(run('validate', '--max-vips', 'many', goodSpeaker), { status: 2, stderr: /--max-vips "many": expected a positive whole number/ });
  t.match(run('validate', '--max-vips', '1', goodSpeaker), { status: 0 });
  t.match(run('validate', '--help'), { status: 0, stdout: /speaker files/ });
});
