// bench/controller: the controller process at scale against the API server
// double. Services are created in one burst; the time from each creation
// until its status carries an address is measured, then the controller is
// restarted and every write it makes is counted (a restart over settled
// Services must write nothing).
//
//   npm run bench:controller                          # 1,000 and 10,000 Services
//   npm run bench:controller -- --sizes 2000,20000
//   npm run bench:controller -- --node-flags=--optimize-for-size   # try a node flag
//
// The double runs in this process (its store is watched directly, so the
// bench adds no client load of its own); the controller is a separate
// `shoal controller` process with the node flags its image uses
// (CONTROLLER_NODE_FLAGS, bench/memory/system.ts), talking to the
// double over loopback HTTP through @kubernetes/client-node. Services are
// IPv6 single-stack, from one pool of 2001:db8:1::/112 (data only: no
// packet is sent to these addresses), without node ports: a cluster's node
// port range (2,768 ports by default) could not hold 10,000 of them.
//
// Every size runs against a fresh double and a fresh controller. The ratio
// column is the time per Service at that size over the time per Service at
// the smallest size of the same run: 1.0 means the controller scales
// linearly; a wall-clock figure alone says more about this machine than
// about the controller.
//
// --node-flags adds node flags after the image's (space-separated inside one
// argument); such a run is an experiment and writes controller-flags.* (or
// --out NAME.*) instead of controller.*.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { kubeConfigYaml } from '../../dev/apiserver/kubeconfig.js';
import { startApiServerDouble, type ApiServerDouble } from '../../dev/apiserver/server.js';
import { ipAddressPools, namespaces, services } from '../../src/kube/resources.js';
import { packageRoot } from '../../src/util/package-root.js';
import { CONTROLLER_NODE_FLAGS } from '../memory/system.js';
import { freePort, rssMiB } from '../proc.js';
import { fmtMs, percentile } from '../stats.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const sizes = arg('sizes', '1000,10000').split(',').map(Number);
const deadlineMs = Number(arg('deadline-s', '900')) * 1000;
const CONFIG_NS = 'metallb-system';
const SERVICE_NS = 'bench';
const root = packageRoot() ?? process.cwd();
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

/** Extra node flags to try, after the image's: --node-flags=--optimize-for-size (space-separated inside one argument). */
const extraFlags = (process.argv.find((a) => a.startsWith('--node-flags='))?.slice('--node-flags='.length) ?? '').split(' ').filter(Boolean);
const nodeFlags = [...CONTROLLER_NODE_FLAGS, ...extraFlags];
/** Where the results go: a run with added flags is an experiment and keeps controller.* as it is. */
const outName = arg('out', extraFlags.length > 0 ? 'controller-flags' : 'controller');

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

interface SizeResult {
  services: number;
  /** From the first creation to the last: the burst itself takes time, on this process's event loop. */
  burstMs: number;
  /** From the first creation until the last Service had its address. */
  totalMs: number;
  perServiceMs: number;
  ratioToSmallest: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** Writes the controller made while allocating, by resource ("services/status", "events"). */
  writes: Record<string, number>;
  controllerRssMiB: number;
  restart: {
    /** From the new process's start until /healthz answered 200 (informers listed, addresses registered). */
    readyMs: number;
    /** From the start until its work queue was empty. */
    idleMs: number;
    /** Every write the restarted controller made, by resource: the target is none. */
    writes: Record<string, number>;
    writesTotal: number;
  };
}

interface RunningController {
  child: ChildProcess;
  port: number;
  startedAt: number;
  exited: Promise<void>;
}

async function startController(kubeconfig: string): Promise<RunningController> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...nodeFlags, cli, 'controller', '--kubeconfig', kubeconfig, '--status', `127.0.0.1:${port}`, '--config-source', 'crd', '--no-gossip-secret', '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, port, startedAt: performance.now(), exited };
}

async function stopController(c: RunningController): Promise<void> {
  c.child.kill('SIGTERM');
  const killed = setTimeout(() => c.child.kill('SIGKILL'), 20_000);
  await c.exited;
  clearTimeout(killed);
}

async function getJson(port: number, path: string): Promise<{ code: number; body: unknown }> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(30_000) });
    const text = await r.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // /healthz answers text
    }
    return { code: r.status, body };
  } catch {
    return { code: 0, body: undefined };
  }
}

async function until(what: string, check: () => Promise<boolean> | boolean, pollMs: number): Promise<void> {
  const end = performance.now() + deadlineMs;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`bench/controller: gave up waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** The controller's work queue is empty (its /status reports the queue). */
async function queueEmpty(port: number): Promise<boolean> {
  const r = await getJson(port, '/status');
  const q = (r.body as { controller?: { queue?: { queued: number; processing: number; retrying: number } } } | undefined)?.controller?.queue;
  return r.code === 200 && q !== undefined && q.queued === 0 && q.processing === 0 && q.retrying === 0;
}

/** Waits until the double has served no request for `ms`. */
async function quiet(api: ApiServerDouble, ms: number): Promise<void> {
  let seen = api.requests.length;
  let since = performance.now();
  await until('the API to fall quiet', () => {
    if (api.requests.length !== seen) {
      seen = api.requests.length;
      since = performance.now();
    }
    return performance.now() - since >= ms;
  }, 250);
}

function writesSince(api: ApiServerDouble, from: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const rec of api.requests.slice(from)) {
    if (!WRITE_VERBS.has(rec.verb)) continue;
    const key = `${rec.verb} ${rec.resource}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

async function runSize(n: number, smallestPerService: number | undefined): Promise<SizeResult> {
  const api = await startApiServerDouble({ auditLimit: 50 * n + 100_000, serviceCidrs: ['2001:db8:ffff::/104'] });
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-controller-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeConfigYaml(api.url));
  let controller: RunningController | undefined;
  try {
    api.store.create(namespaces, undefined, { metadata: { name: CONFIG_NS } });
    api.store.create(namespaces, undefined, { metadata: { name: SERVICE_NS } });
    api.store.create(ipAddressPools, CONFIG_NS, {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name: 'bench', namespace: CONFIG_NS },
      spec: { addresses: ['2001:db8:1::/112'] },
    });

    controller = await startController(kubeconfig);
    const c = controller;
    await until('the controller to be ready', async () => (await getJson(c.port, '/healthz')).code === 200, 200);

    const created = new Map<string, number>();
    const addressed = new Map<string, number>();
    const watch = api.store.watch(services, { namespace: SERVICE_NS }, {
      event: (type, obj) => {
        if (type === 'DELETED') return;
        const name = (obj.metadata as { name: string }).name;
        const ingress = (obj['status'] as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress;
        if (ingress && ingress.length > 0 && !addressed.has(name)) addressed.set(name, performance.now());
      },
      end: () => undefined,
    });

    const auditMark = api.requests.length;
    for (let i = 0; i < n; i++) {
      const name = `svc-${i}`;
      api.store.create(services, SERVICE_NS, {
        metadata: { name, namespace: SERVICE_NS },
        spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], selector: { app: name } },
      });
      created.set(name, performance.now());
      // Let the double serve its watches while the burst goes on.
      if (i % 200 === 199) await new Promise((r) => setImmediate(r));
    }
    await until(`${n} Services to have an address`, () => addressed.size >= n, 100);
    watch.close();
    await until('the work queue to empty', () => queueEmpty(c.port), 1000);
    // Pool counters are written paced, after the queue: the restart below
    // must find everything the first process meant to write already written.
    await quiet(api, 3000);

    const latencies = [...created].map(([name, t]) => addressed.get(name)! - t);
    const first = Math.min(...created.values());
    const last = Math.max(...addressed.values());
    const totalMs = last - first;
    const burstMs = Math.max(...created.values()) - first;
    const perServiceMs = totalMs / n;
    const writes = writesSince(api, auditMark);
    const controllerRssMiB = rssMiB(c.child.pid!) ?? NaN;

    // The restart: the new process must find everything in place and write nothing.
    await stopController(c);
    const restartMark = api.requests.length;
    controller = await startController(kubeconfig);
    const r = controller;
    await until('the restarted controller to be ready', async () => (await getJson(r.port, '/healthz')).code === 200, 200);
    const readyMs = performance.now() - r.startedAt;
    await until('the restarted controller to be idle', () => queueEmpty(r.port), 500);
    const idleMs = performance.now() - r.startedAt;
    // Writes would follow the queue's last item at once; a quiet spell makes sure none trail.
    await sleep(3000);
    const restartWrites = writesSince(api, restartMark);

    return {
      services: n,
      burstMs,
      totalMs,
      perServiceMs,
      ratioToSmallest: smallestPerService === undefined ? 1 : perServiceMs / smallestPerService,
      latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) },
      writes,
      controllerRssMiB,
      restart: { readyMs, idleMs, writes: restartWrites, writesTotal: Object.values(restartWrites).reduce((a, b) => a + b, 0) },
    };
  } finally {
    if (controller && controller.child.exitCode === null && controller.child.signalCode === null) await stopController(controller);
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const machine = { cores: cpus().length, loadAtStart: loadavg().map((l) => Math.round(l * 100) / 100) };
  process.stdout.write(`bench/controller: ${machine.cores} cores, load average ${machine.loadAtStart.join(' ')} at the start\n`);
  const results: SizeResult[] = [];
  for (const n of sizes) {
    const r = await runSize(n, results[0]?.perServiceMs);
    results.push(r);
    process.stdout.write(`  ${n} services done: ${fmtMs(r.totalMs)} ms\n`);
  }
  const loadAtEnd = loadavg().map((l) => Math.round(l * 100) / 100);

  const lines = [
    `bench/controller: ${machine.cores} cores, load average ${machine.loadAtStart.join(' ')} at the start, ${loadAtEnd.join(' ')} at the end`,
    `controller node flags: ${nodeFlags.join(' ') || 'none'}${extraFlags.length > 0 ? ` (added: ${extraFlags.join(' ')})` : ''}`,
    '',
    '| services | creation burst (ms) | all addressed (ms) | per service (ms) | ratio to smallest | latency p50 / p99 / max (ms) | status writes | controller RSS (MiB) | restart: ready / idle (ms) | restart writes |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.services} | ${fmtMs(r.burstMs)} | ${fmtMs(r.totalMs)} | ${r.perServiceMs.toFixed(2)} | ${r.ratioToSmallest.toFixed(2)} | ${fmtMs(r.latencyMs.p50)} / ${fmtMs(r.latencyMs.p99)} / ${fmtMs(r.latencyMs.max)} | ${r.writes['update services/status'] ?? 0} | ${r.controllerRssMiB.toFixed(0)} | ${fmtMs(r.restart.readyMs)} / ${fmtMs(r.restart.idleMs)} | ${r.restart.writesTotal} |`,
    ),
    '',
    'writes while allocating, by verb and resource:',
    ...results.map((r) => `  ${r.services}: ${JSON.stringify(r.writes)}`),
    'writes after the restart, by verb and resource:',
    ...results.map((r) => `  ${r.services}: ${JSON.stringify(r.restart.writes)}`),
  ];
  const text = lines.join('\n') + '\n';
  process.stdout.write('\n' + text);
  const out = join(root, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${outName}.json`), JSON.stringify({ machine: { ...machine, loadAtEnd }, nodeFlags, extraFlags, results }, null, 2) + '\n');
  writeFileSync(join(out, `${outName}.txt`), text);
  const restartClean = results.every((r) => r.restart.writesTotal === 0);
  process.stdout.write(`restart writes nothing: ${restartClean ? 'met' : 'NOT met'}\n`);
}

await main();
