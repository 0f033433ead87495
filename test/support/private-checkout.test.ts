// The tests that run code as an unprivileged user must pass wherever the
// checkout lives, including below a directory only root can enter (root's
// home, a `mktemp -d` folder). This runs them again from such a place: the
// checkout is bind-mounted below a fresh 0700 directory inside a private
// mount namespace (gone when the run ends, nothing copied, nothing left
// mounted), and a nested tap run executes every test file that starts a
// process as another user.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { repoRoot } from './dist.js';
import { netlabUnavailable } from './netlab.js';

const self = fileURLToPath(import.meta.url);

/** Test files that start a process as another user (they use setpriv directly, support/unprivileged, or a helper taking `asUser`). */
async function unprivilegedTests(): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(repoRoot, 'test'), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.test.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    if (path === self) continue;
    if (/setpriv|asUser|support\/unprivileged\.js/.test(await readFile(path, 'utf8'))) found.push(relative(repoRoot, path));
  }
  return found.sort();
}

t.test('tests that run as another user pass from a checkout below a 0700 directory', { skip: netlabUnavailable() ?? false }, async (t) => {
  const files = await unprivilegedTests();
  t.ok(files.length >= 3, `found the tests that run as another user: ${files.join(', ')}`);

  const hidden = await mkdtemp(join(tmpdir(), 'shoal-private-'));
  t.teardown(() => rm(hidden, { recursive: true, force: true }));
  t.equal((await stat(hidden)).mode & 0o777, 0o700, 'the parent directory only root can enter');
  const mountpoint = join(hidden, 'shoal');
  await mkdir(mountpoint);
  // tap keeps its state in .tap/; the nested run gets its own (a tmpfs over it).
  await mkdir(join(repoRoot, '.tap'), { recursive: true });

  const script = [
    'set -e',
    'mount --bind "$1" "$2"',
    'mount -t tmpfs tmpfs "$2/.tap"',
    'cd "$2"',
    'shift 2',
    'exec node node_modules/.bin/tap -R tap "$@"',
  ].join('\n');
  // env -i: a fresh top-level tap run, without the outer run's loader and state.
  const args = ['-i', `PATH=${process.env['PATH'] ?? '/usr/bin:/bin'}`, 'HOME=/root', 'unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', repoRoot, mountpoint, ...files];
  const result = await new Promise<{ code: number; out: string }>((resolve) => {
    execFile('env', args, { timeout: 240_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, out: stdout + stderr });
    });
  });
  const summary = /^# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?(?:, skip: (\d+))?/m.exec(result.out);
  const failures = result.out.split('\n').filter((l) => /^\s*not ok /.test(l));
  t.ok(summary, `the nested run printed its summary${summary ? '' : `; output ends:\n${result.out.slice(-3000)}`}`);
  t.equal(failures.length, 0, `no failures from below a 0700 directory${failures.length ? `:\n${failures.join('\n')}` : ''}`);
  t.equal(Number(summary?.[4] ?? 0), 0, 'nothing skipped (the nested run is root too)');
  t.ok(Number(summary?.[2] ?? 0) > 0, `assertions passed: ${summary?.[2] ?? 0}`);
  t.equal(result.code, 0, 'tap exited 0');
});
