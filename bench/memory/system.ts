// The Kubernetes-mode system as bench/memory runs it: the API server double,
// the controller and speakers, each a process started the way its container
// image starts it (Dockerfile: node runs the bundle dist/bundle/shoal.js, the
// speaker and the controller with --max-semi-space-size=1, the controller also with --single-threaded,
// both with NODE_ENV=production), all on loopback
// with layer 2 off. The bench drives Services and EndpointSlices through
// the double's unix socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterObjects } from '../../dev/demo/objects.js';
import { SocketKube } from '../../dev/lab/kube-socket.js';
import { mountSecret } from '../../dev/lab/mount-secret.js';
import { GOSSIP_SECRET_NAME } from '../../src/kube/defaults.js';
import { endpointSlices, services } from '../../src/kube/resources.js';
import { packageRoot } from '../../src/util/package-root.js';
import { freePort } from '../proc.js';

export const NAMESPACE = 'metallb-system';
export const SERVICE_NAMESPACE = 'default';

/** Node flags of the images' entrypoints (Dockerfile). */
export const SPEAKER_NODE_FLAGS = ['--max-semi-space-size=1'] as const;
export const CONTROLLER_NODE_FLAGS = ['--max-semi-space-size=1', '--single-threaded'] as const;

const root = packageRoot() ?? process.cwd();
/** What the images run (Dockerfile): the bundle, unless SystemOptions.entry names another script (dist/src/cli/main.js). */
export const IMAGE_ENTRY = join(root, 'dist', 'bundle', 'shoal.js');
const DEV_CLI = join(root, 'dist', 'dev', 'cli.js');

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** The last lines of stderr, for errors. */
  tail(): string;
}

/** Calls `onLine` with each complete line of a stream. */
function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const all = (partial + chunk).split('\n');
    partial = all.pop() ?? '';
    for (const l of all) onLine(l);
  });
}

export interface NodeIo {
  /** Receives what the process writes to stdout (where V8's --trace-gc writes); without it stdout is dropped. */
  onStdoutLine?: (line: string) => void;
  /** Working directory (where --heapsnapshot-signal writes its snapshots). */
  cwd?: string;
}

/** Every process started here and not yet exited, killed by pid if the bench itself is stopped. */
const running = new Set<ChildProcess>();
/** Every temporary directory made here and not yet removed, removed if the bench itself is stopped. */
const scratch = new Set<string>();
let cleanUpOnSignal = false;

/** On SIGINT or SIGTERM, the processes the bench started go with it instead of running on as orphans, and its temporary directories too. */
function cleanUpOnSignals(): void {
  if (cleanUpOnSignal) return;
  cleanUpOnSignal = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of running) child.kill('SIGKILL');
      for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    });
  }
}

/** A new temporary directory named from `prefix`, removed by removeScratchDir or when the bench is stopped by a signal. */
export function makeScratchDir(prefix: string): string {
  cleanUpOnSignals();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.add(dir);
  return dir;
}

export function removeScratchDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  scratch.delete(dir);
}

/** Starts a node process with the image's environment; extra node flags (profiling) go before the script. */
export function startNode(name: string, nodeFlags: readonly string[], args: readonly string[], io: NodeIo = {}): Proc {
  const { onStdoutLine, cwd } = io;
  const child = spawn(process.execPath, [...nodeFlags, ...args], { stdio: ['ignore', onStdoutLine ? 'pipe' : 'ignore', 'pipe'], env: { ...process.env, NODE_ENV: 'production', NODE_OPTIONS: '' }, ...(cwd !== undefined && { cwd }) });
  if (onStdoutLine) eachLine(child.stdout!, onStdoutLine);
  const lines: string[] = [];
  eachLine(child.stderr!, (l) => {
    lines.push(l);
    if (lines.length > 40) lines.shift();
  });
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  cleanUpOnSignals();
  running.add(child);
  child.once('exit', () => running.delete(child));
  return { name, child, pid: child.pid, tail: () => lines.join('\n') };
}

export async function stopProc(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const gone = new Promise((r) => p.child.once('exit', r));
  p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 200): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface SpeakerNode {
  readonly name: string;
  /** Loopback address of the node: gossip and status bind here. */
  readonly address: string;
  readonly gossipPort: number;
  readonly statusPort: number;
}

/**
 * Pools from documentation ranges: three IPv4 /24s (762 addresses) and an
 * IPv6 /112. Even-numbered services are IPv4, odd ones IPv6, so 1,000
 * Services fit without sharing.
 */
function baseObjects(nodes: readonly SpeakerNode[]): object[] {
  return [
    ...clusterObjects(NAMESPACE, nodes),
    {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name: 'bench', namespace: NAMESPACE },
      spec: { addresses: ['192.0.2.1-192.0.2.254', '198.51.100.1-198.51.100.254', '203.0.113.1-203.0.113.254', '2001:db8:10::/112'] },
    },
    { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'bench', namespace: NAMESPACE }, spec: {} },
  ];
}

/** Service number `i` and its EndpointSlice: one ready endpoint on each node, realistic metadata. */
export function serviceObjects(i: number, nodes: readonly SpeakerNode[]): [object, object] {
  const name = `svc-${i}`;
  const v6 = i % 2 === 1;
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: SERVICE_NAMESPACE,
      labels: { app: name, 'app.kubernetes.io/part-of': 'bench' },
      // What a Helm- or kubectl-managed Service carries and the speaker never reads.
      annotations: { 'meta.helm.sh/release-name': 'bench', 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ kind: 'Service', metadata: { name }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } }) },
    },
    spec: {
      type: 'LoadBalancer',
      selector: { app: name },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }, { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' }],
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: [v6 ? 'IPv6' : 'IPv4'],
    },
  };
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-a`, namespace: SERVICE_NAMESPACE, labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
    addressType: v6 ? 'IPv6' : 'IPv4',
    endpoints: nodes.map((n, k) => ({
      addresses: [v6 ? `2001:db8:20::${(i * 8 + k + 1).toString(16)}` : `10.244.${k}.${(i % 250) + 2}`],
      nodeName: n.name,
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', namespace: SERVICE_NAMESPACE, name: `${name}-pod-${k}` },
    })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'https', port: 8443, protocol: 'TCP' }],
  };
  return [service, slice];
}

export interface System {
  readonly dir: string;
  readonly kube: SocketKube;
  readonly kubeconfig: string;
  readonly keyDir: string;
  readonly nodes: readonly SpeakerNode[];
  readonly apiserver: Proc;
  readonly controller: Proc;
  readonly controllerStatus: string;
  speakers: Map<string, Proc>;
  startSpeaker(node: SpeakerNode): Proc;
  createService(i: number): Promise<void>;
  deleteService(i: number): Promise<void>;
  /** Services whose status holds an address. */
  allocated(): Promise<number>;
  stop(): Promise<void>;
}

export interface SystemOptions {
  /** How many speaker nodes (their pods are the gossip seeds). */
  speakers: number;
  /** Extra node flags for the speaker and the controller (profiling), after the image's. */
  speakerExtraFlags?: readonly string[];
  controllerExtraFlags?: readonly string[];
  /** More node flags for single speakers, by node name, after speakerExtraFlags (the soak's twin). */
  nodeExtraFlags?: Readonly<Record<string, readonly string[]>>;
  /** The script the controller and speakers run (default IMAGE_ENTRY). */
  entry?: string;
  /**
   * Runs the controller and the speakers with V8's --trace-gc, a measuring
   * instrument rather than an experiment (it only prints a line per
   * collection), and hands each line they print to stdout to this callback
   * with the process's name ("controller", "node-1"...).
   */
  onTraceGc?: (process: string, line: string) => void;
  /**
   * Runs the controller and the speakers with --heapsnapshot-signal=SIGUSR2
   * in this directory: SIGUSR2 makes one write a heap snapshot here (after a
   * full collection), a measuring instrument too (see liveHeap in run.ts).
   */
  heapSnapshotDir?: string;
}

/** Loopback addresses of this bench, away from the demo's 127.0.0.N. */
const nodeAddress = (k: number): string => `127.0.17.${k + 1}`;

export async function startSystem(opts: SystemOptions): Promise<System> {
  const cli = opts.entry ?? IMAGE_ENTRY;
  for (const f of [cli, DEV_CLI]) if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first`);
  const dir = makeScratchDir('shoal-memory-');
  const socket = join(dir, 'api.sock');
  const kubeconfig = join(dir, 'kubeconfig');
  // One gossip port for every node, as a DaemonSet has: a speaker seeds
  // itself with the other speaker pods' IPs and its own port.
  const gossipPort = await freePort(nodeAddress(0));
  const nodes: SpeakerNode[] = [];
  for (let k = 0; k < opts.speakers; k++) {
    const address = nodeAddress(k);
    nodes.push({ name: `node-${k + 1}`, address, gossipPort, statusPort: await freePort(address) });
  }
  const apiserver = startNode('apiserver', [], [DEV_CLI, 'apiserver', '--listen', `${nodeAddress(0)}:${await freePort(nodeAddress(0))}`, '--socket', socket, '--kubeconfig-out', kubeconfig]);
  const procs: Proc[] = [apiserver];
  try {
    await until(() => {
      if (apiserver.child.exitCode !== null) throw new Error(`the API server double exited: ${apiserver.tail()}`);
      return existsSync(socket) && existsSync(kubeconfig);
    }, 30_000, 'the API server double');
    const kube = new SocketKube(socket);
    for (const o of baseObjects(nodes)) await kube.apply(o as never);
    const controllerStatus = `${nodeAddress(0)}:${await freePort(nodeAddress(0))}`;
    const trace = opts.onTraceGc;
    const traceFlags = [...(trace ? ['--trace-gc'] : []), ...(opts.heapSnapshotDir !== undefined ? ['--heapsnapshot-signal=SIGUSR2'] : [])];
    const io = (name: string): NodeIo => ({ ...(trace && { onStdoutLine: (l: string) => trace(name, l) }), ...(opts.heapSnapshotDir !== undefined && { cwd: opts.heapSnapshotDir }) });
    const controller = startNode('controller', [...CONTROLLER_NODE_FLAGS, ...(opts.controllerExtraFlags ?? []), ...traceFlags], [
      cli, 'controller', '--kubeconfig', kubeconfig, '--namespace', NAMESPACE, '--status', controllerStatus, '--config-source', 'crd', '--log-level', 'warn',
    ], io('controller'));
    procs.push(controller);
    const keyDir = await mountSecret(kube, NAMESPACE, GOSSIP_SECRET_NAME, join(dir, 'ml_secret_key'), 60_000);
    const speakers = new Map<string, Proc>();
    const startSpeaker = (n: SpeakerNode): Proc => {
      const p = startNode(n.name, [...SPEAKER_NODE_FLAGS, ...(opts.speakerExtraFlags ?? []), ...(opts.nodeExtraFlags?.[n.name] ?? []), ...traceFlags], [
        cli, 'speaker', '--kubeconfig', kubeconfig, '--namespace', NAMESPACE, '--node-name', n.name,
        '--gossip-bind', `${n.address}:${n.gossipPort}`, '--status', `${n.address}:${n.statusPort}`,
        '--gossip-key-file', keyDir, '--layer2', 'off', '--config-source', 'crd', '--log-level', 'warn',
      ], io(n.name));
      speakers.set(n.name, p);
      return p;
    };
    for (const n of nodes) procs.push(startSpeaker(n));
    return {
      dir, kube, kubeconfig, keyDir, nodes, apiserver, controller, controllerStatus, speakers, startSpeaker,
      createService: async (i) => {
        for (const o of serviceObjects(i, nodes)) await kube.apply(o as never);
      },
      deleteService: async (i) => {
        await kube.delete(services, SERVICE_NAMESPACE, `svc-${i}`);
        await kube.delete(endpointSlices, SERVICE_NAMESPACE, `svc-${i}-a`);
      },
      allocated: async () => {
        const list = (await kube.list(services, SERVICE_NAMESPACE)) as { status?: { loadBalancer?: { ingress?: unknown[] } } }[];
        return list.filter((s) => (s.status?.loadBalancer?.ingress?.length ?? 0) > 0).length;
      },
      stop: async () => {
        for (const p of speakers.values()) await stopProc(p);
        await stopProc(controller);
        await stopProc(apiserver);
        removeScratchDir(dir);
      },
    };
  } catch (err) {
    for (const p of procs.reverse()) await stopProc(p, 'SIGKILL');
    removeScratchDir(dir);
    throw err;
  }
}
