// `npm start` runs `shoal-dev demo`: the API stand-in, the controller and three
// speakers on loopback. This runs it for real, looks inside with the status
// commands, kills a speaker and stops the demo.
import { spawn } from 'node:child_process';
import t from 'tap';
import { startDemo } from './demo-process.js';
// The kubectl session runs in this file, after the demo's own test: one demo at a time.
import './kubectl-demo.js';
import { cliPath, devCliPath, distMissing } from '../support/dist.js';
import { waitFor } from '../support/netlab.js';

// 'close', not 'exit': the exit can be reported before the last output is read.
const run = (args: string[], cli = cliPath): Promise<{ code: number | null; out: string }> =>
  new Promise((resolve) => {
    const c = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (out += b.toString()));
    c.on('close', (code) => resolve({ code, out }));
  });

t.test('the demo allocates, elects, fails over and stops cleanly', { skip: distMissing() ?? false, timeout: 120_000 }, async (t) => {
  const demo = startDemo(t, ['--restart-after', '0']);
  await waitFor(() => /controller: web gets 192\.0\.2\.\d+, 2001:db8::\w+/.test(demo.output()), 60_000, 'the controller to allocate a dual-stack address to web');
  // One summary line a reconcile, with the first few addresses (api holds 192.0.2.100).
  await waitFor(() => /node-\d announces [^\n]*192\.0\.2\.100\b/.test(demo.output()), 45_000, 'a speaker to announce api');
  t.pass('allocation and announcement are narrated');

  // A speaker that started late (a loaded machine starts processes slowly)
  // may not be a member yet when the first one announces: ask until node-1
  // sees all three.
  const status = await waitFor(
    async () => {
      const r = await run(['status', '--url', 'http://127.0.0.1:7473']);
      return /members: 3 alive/.test(r.out) && r;
    },
    45_000,
    'node-1 to see three members alive',
  );
  t.equal(status.code, 0, 'shoal status reads node-1');
  t.match(status.out, /members: 3 alive/, 'three members alive');
  t.match(status.out, /encryption on/, 'gossip encrypted with the key of the Secret the controller created');
  t.match(status.out, /encryption: gossip on \(1 key\(s\) from .*ml_secret_key\/secretkey\)/, 'read from the mounted Secret');
  t.match(status.out, /192\.0\.2\.100\s+demo\s+node-\d/, 'who announces what');
  const explain = await run(['explain', '192.0.2.100', '--url', 'http://127.0.0.2:7473']);
  t.match(explain.out, /ring walk from 192\.0\.2\.100/, 'shoal explain shows the ring walk');
  const unknown = await run(['explain', '203.0.113.9', '--url', 'http://127.0.0.1:7473']);
  t.equal(unknown.code, 1, 'an address no service holds is an error');

  const killed = /kill -9 (\d+)\s+\((node-\d)\)/.exec(demo.output());
  t.ok(killed, 'the demo says which speaker to kill');
  process.kill(Number(killed![1]), 'SIGKILL');
  await waitFor(() => new RegExp(`sees ${killed![2]}: suspect -> dead`).test(demo.output()), 45_000, 'the others to declare it dead');
  t.pass(`${killed![2]} was declared dead`);

  demo.kill('SIGINT');
  t.equal(await demo.exited, 0, 'Ctrl-C stops the demo cleanly');
  const after = await run(['status', '--url', 'http://127.0.0.1:7473']);
  t.equal(after.code, 1, 'nothing is left listening');
  t.match(after.out, /cannot reach .*Is the speaker running there/, 'the error says what to check');
});

t.test('every command has --help', { skip: distMissing() ?? false }, async (t) => {
  for (const cmd of ['controller', 'speaker', 'status', 'explain', 'validate', 'gossip']) {
    const r = await run([cmd, '--help']);
    t.equal(r.code, 0, `${cmd} --help`);
    t.match(r.out, /Usage: shoal /, `${cmd} --help prints usage`);
  }
  for (const cmd of ['demo', 'apiserver']) {
    const r = await run([cmd, '--help'], devCliPath);
    t.equal(r.code, 0, `shoal-dev ${cmd} --help`);
    t.match(r.out, /Usage: shoal-dev /, `shoal-dev ${cmd} --help prints usage`);
    t.match(await run([cmd]), { code: 1, out: new RegExp(`unknown command '${cmd}'`) }, `${cmd} is not a command of the product`);
  }
});
