// `shoal validate` and `shoal controller` as commands: exit codes, and the
// compiled controller process against the API server double (status
// endpoint, allocation, graceful SIGTERM).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { kubeConfigYaml } from '../../dev/apiserver/kubeconfig.js';
import { controllerSettings } from '../../src/cli/controller.js';
import { runValidate } from '../../src/cli/validate-run.js';
import type { ControllerStatus } from '../../src/controller/index.js';
import { cliPath, distMissing, repoRoot } from '../support/dist.js';
import { freePorts } from '../support/ports.js';
import { eventually } from '../dev/apiserver/support.js';
import { harness } from './support.js';

const fixture = (name: string): string => join(repoRoot, 'test/config/fixtures', name);

t.test('validate: 0 for a valid file, 1 with every error for an invalid one, 2 for an unreadable one', async (t) => {
  let out = '';
  t.equal(await runValidate([fixture('seed.yaml'), fixture('full-crds.yaml')], (s) => (out += s)), 0);
  t.match(out, /^ok: 2 file\(s\)/);
  out = '';
  t.equal(await runValidate([fixture('invalid-legacy.yaml')], (s) => (out += s)), 1);
  t.match(out, /invalid-legacy\.yaml \(document 1\): address-pools\[0\]\.addresses\[1\]: "10\.0\.0\.300\/24" is not an IP range/);
  t.match(out, /\d+ error\(s\): 1 file\(s\)/);
  out = '';
  t.equal(await runValidate([fixture('seed.yaml'), '/nonexistent/shoal.yaml'], (s) => (out += s)), 2);
  t.match(out, /cannot read \/nonexistent\/shoal\.yaml/);
});

t.test('on the command line: usage errors exit 2, help lists the flags', { skip: distMissing() ?? false }, async (t) => {
  // Each start of the CLI costs seconds on a loaded machine: only what needs the real command line.
  const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  t.match(run('validate', '--strict', fixture('seed.yaml')), { status: 2, stderr: /unknown option '--strict'/ });
  t.match(run('validate', '--help'), { status: 0, stdout: /Exit status: 0 when valid, 1 when not, 2 on a usage error/ });
  const help = run('controller', '--help');
  t.equal(help.status, 0);
  for (const flag of ['--kubeconfig', '--namespace', '--lb-class', '--config-source', '--configmap', '--status', '--log-level']) t.match(help.stdout, flag);
  t.match(help.stdout, /0\.0\.0\.0:7472/);
});

t.test('controller flags are checked before anything starts', async (t) => {
  const flags = { namespace: 'metallb-system', configSource: 'auto', configmap: 'config', status: '0.0.0.0:7472', logLevel: 'info' };
  t.same(controllerSettings(flags), { mode: 'auto', level: 'info' });
  t.throws(() => controllerSettings({ ...flags, configSource: 'both' }), /--config-source "both": pick one of auto, crd, configmap/);
  t.throws(() => controllerSettings({ ...flags, logLevel: 'verbose' }), /--log-level "verbose"/);
  t.throws(() => controllerSettings({ ...flags, lbClass: '' }), /--lb-class: empty/);
});

t.test('the controller process allocates, serves /status, /metrics, /healthz, and stops on SIGTERM', { skip: distMissing() ?? false }, async (t) => {
  const h = await harness(t);
  h.pool('default', ['192.0.2.0/28']);
  h.service('web');
  const dir = mkdtempSync(join(tmpdir(), 'shoal-controller-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeConfigYaml(h.d.url));
  const [port] = await freePorts(1);
  const child = spawn(process.execPath, [cliPath, 'controller', '--kubeconfig', kubeconfig, '--status', `127.0.0.1:${port}`, '--log-level', 'info'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, KUBECONFIG: '', SHOAL_NAMESPACE: '' },
  });
  let log = '';
  child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const get = async (path: string): Promise<{ status: number; body: string } | undefined> => {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: res.status, body: await res.text() };
    } catch {
      return undefined;
    }
  };
  await h.waitIngress('web', ['192.0.2.0']).catch((err: unknown) => {
    t.comment(log);
    throw err;
  });
  t.match(await get('/healthz'), { status: 200, body: 'ok\n' });
  const status = JSON.parse((await get('/status'))?.body ?? '{}') as { controller: ControllerStatus };
  t.match(status.controller, { ready: true, namespace: 'metallb-system', config: { source: 'crd', generation: 1 }, services: [{ service: 'default/web', ips: ['192.0.2.0'], pool: 'default' }] });
  const metrics = (await get('/metrics'))?.body ?? '';
  t.match(metrics, /shoal_allocator_addresses_in_use_total\{pool="default"\} 1/);
  t.match(metrics, /process_cpu_seconds_total/, 'default process metrics too');
  const text = await fetch(`http://127.0.0.1:${port}/status`, { headers: { accept: 'text/plain' } }).then((r) => r.text());
  t.match(text, /default\/web\s+allocated\s+192\.0\.2\.0\s+default/);
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exit status 0 after SIGTERM');
  await eventually(() => /"msg":"stopped"/.test(log), 'stop logged');
});
