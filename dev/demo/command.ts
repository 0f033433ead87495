// `shoal-dev demo` (what `npm start` runs): the whole system on one machine,
// each part a process running the production code path. An embedded stand-in
// for the Kubernetes API (`shoal-dev apiserver`, in memory), the controller, and
// several speakers in Kubernetes mode, one per "node". The services come
// from a file you can edit while the demo runs; the demo prints what happens
// (allocation, election, failover when you kill a speaker) and the commands
// to look inside.
//
// By default everything runs on loopback (node-N on 127.0.0.N, status on
// 127.0.0.N:7473), where nothing can answer ARP: layer 2 is off and the
// election is real. As root, --lab builds network namespaces (a bridge, one
// namespace per node, a client) so the VIPs really answer ARP and NDP.
//
// The gossip is encrypted as in a cluster: the controller creates the
// memberlist Secret, and the demo, in the kubelet's place, hands it to the
// speakers as a file.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unwatchFile, watchFile, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { NetLab } from '../lab/netlab.js';
import { GOSSIP_SECRET_NAME } from '../../src/kube/defaults.js';
import { packageRoot } from '../../src/util/package-root.js';
import { baseObjects, DEFAULT_SERVICES_YAML, DEMO_NAMESPACE, parseServices, SERVICE_NAMESPACE, serviceObjects, type DemoNode, type DemoService } from './objects.js';

/** The compiled product command line (`shoal`) of this checkout. */
function productCli(): string {
  const root = packageRoot();
  const cli = root && join(root, 'dist', 'src', 'cli', 'main.js');
  if (!cli || !existsSync(cli)) throw new Error(`the compiled shoal command line is missing${cli ? ` at ${cli}` : ''}: run \`npm run build\` first`);
  return cli;
}

interface DemoFlags {
  nodes: string;
  services?: string;
  profile: string;
  restartAfter: string;
  lab?: boolean;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run controller, speakers and an in-memory Kubernetes API on this machine (the embedded default of `npm start`)')
    .option('--nodes <n>', 'number of speaker nodes (2 to 9)', '3')
    .option('--services <file>', 'services file to use and watch (created with examples when missing; default: a temporary file)')
    .option('--profile <lan|fast>', 'gossip timing profile of the speakers', 'fast')
    .option('--restart-after <ms>', 'restart a speaker this long after it dies (0: never)', '15000')
    .option('--lab', 'as root: build network namespaces so the VIPs really answer ARP/NDP')
    .action(async (flags: DemoFlags) => runDemo(flags));
}

function say(line: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 23)}  ${line}\n`);
}

interface Part {
  readonly name: string;
  readonly args: string[];
  /** Lab host (namespace) it runs in; undefined on loopback. */
  readonly host: string | undefined;
  child: ChildProcess | undefined;
  restartable: boolean;
  /** Runs from the development command line (the API stand-in) rather than the product's. */
  dev?: boolean;
}

async function runDemo(flags: DemoFlags): Promise<void> {
  const count = Number(flags.nodes);
  if (!Number.isInteger(count) || count < 2 || count > 9) throw new Error(`--nodes ${flags.nodes}: pick 2 to 9`);
  const restartAfter = Number(flags.restartAfter);
  const lab = flags.lab ? await buildLab(count) : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'shoal-demo-'));
  const servicesFile = flags.services ?? join(dir, 'services.yaml');
  if (!existsSync(servicesFile)) writeFileSync(servicesFile, DEFAULT_SERVICES_YAML);
  const apiHost = lab ? LAB_API : '127.0.0.1';
  const nodes: DemoNode[] = Array.from({ length: count }, (_, i) => ({ name: `node-${i + 1}`, address: lab ? `192.0.2.${11 + i}` : `127.0.0.${i + 1}` }));
  const socket = join(dir, 'api.sock');
  const kubeconfig = join(dir, 'kubeconfig');
  // The controller and speakers run the product's command line; the API
  // stand-in runs from this development one.
  const devCli = process.argv[1]!;
  const cli = productCli();
  let stopping = false;

  const parts: Part[] = [];
  const start = (p: Part): void => {
    const args = [p.dev ? devCli : cli, ...p.args];
    const child = lab && p.host ? lab.lab.spawn(p.host, process.execPath, args).child : spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    p.child = child;
    let buf = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        narrate(p, buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    child.on('exit', (code, signal) => {
      p.child = undefined;
      if (stopping) return;
      say(`${p.name} (pid ${child.pid}) exited (${signal ?? `code ${code}`})${p.restartable ? '; the other speakers will detect it' : ''}`);
      if (p.restartable && restartAfter > 0) {
        setTimeout(() => {
          if (stopping) return;
          say(`restarting ${p.name}`);
          start(p);
        }, restartAfter).unref();
      }
    });
  };

  // The story, told once: membership as the first running speaker sees it,
  // announcements by whoever makes them, errors by anyone.
  const speakers = (): Part[] => parts.filter((p) => p.restartable);
  const narrate = (p: Part, line: string): void => {
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const msg = rec['msg'];
    if (rec['level'] === 'error') say(`${p.name}: error: ${String(msg)}${rec['error'] ? ` (${JSON.stringify(rec['error'])})` : ''}`);
    // The election's decisions, one summary line a reconcile with the first
    // few addresses (the layer-2 responder logs its own per interface).
    const addresses = (): string => {
      const first = Array.isArray(rec['addresses']) ? rec['addresses'].join(', ') : '';
      const more = Number(rec['count']) - (Array.isArray(rec['addresses']) ? rec['addresses'].length : 0);
      return more > 0 ? `${first} and ${more} more` : first;
    };
    if (rec['component'] === 'speaker' && msg === 'announcing') say(`${p.name} announces ${addresses()}`);
    if (rec['component'] === 'speaker' && msg === 'stopped announcing') say(`${p.name} stops announcing ${addresses()}`);
    if (msg === 'member event' && speakers().find((s) => s.child) === p && rec['member'] !== p.name) {
      say(`${p.name} sees ${String(rec['member'])}: ${String(rec['previous'] ?? 'new')} -> ${String(rec['state'])}`);
    }
  };

  parts.push({ name: 'apiserver', host: lab ? 'api' : undefined, restartable: false, dev: true, child: undefined, args: ['apiserver', '--listen', `${apiHost}:6443`, '--socket', socket, '--kubeconfig-out', kubeconfig] });
  start(parts[0]!);
  await until(() => existsSync(socket) && existsSync(kubeconfig), 20_000, 'the API stand-in to start');
  const { SocketKube } = await import('../lab/kube-socket.js');
  const kube = new SocketKube(socket);
  for (const o of baseObjects(nodes)) await kube.apply(o as never);
  let applied = new Map<string, DemoService>();
  const applyServices = async (): Promise<void> => {
    const parsed = parseServices(readFileSync(servicesFile, 'utf8'));
    if (!parsed.ok) {
      say(`services file not applied: ${parsed.errors.join('; ')}`);
      return;
    }
    const next = new Map(parsed.services.map((s) => [s.name, s]));
    const { services, endpointSlices } = await import('../../src/kube/resources.js');
    for (const name of applied.keys()) {
      if (next.has(name)) continue;
      await kube.delete(services, SERVICE_NAMESPACE, name);
      await kube.delete(endpointSlices, SERVICE_NAMESPACE, `${name}-demo`);
      say(`service ${name} deleted`);
    }
    for (const s of parsed.services) {
      if (JSON.stringify(applied.get(s.name)) === JSON.stringify(s)) continue;
      try {
        for (const o of serviceObjects(s, nodes)) await kube.apply(o as never);
        say(`service ${s.name} ${applied.has(s.name) ? 'changed' : 'created'}`);
      } catch (err) {
        say(`service ${s.name} not applied: ${(err as Error).message}`);
      }
    }
    applied = next;
  };
  await applyServices();
  watchFile(servicesFile, { interval: 500 }, () => void applyServices());

  parts.push({ name: 'controller', host: lab ? 'api' : undefined, restartable: false, child: undefined, args: ['controller', '--kubeconfig', kubeconfig, '--status', `${apiHost}:7472`, '--config-source', 'crd'] });
  start(parts[1]!);
  const { mountSecret } = await import('../lab/mount-secret.js');
  const keyDir = await mountSecret(kube, DEMO_NAMESPACE, GOSSIP_SECRET_NAME, join(dir, 'ml_secret_key'));
  say(`the controller created the gossip key Secret ${DEMO_NAMESPACE}/${GOSSIP_SECRET_NAME}; the speakers read it from ${keyDir}, as the kubelet mounts it`);
  for (const n of nodes) {
    const p: Part = {
      name: n.name,
      host: lab ? n.name : undefined,
      restartable: true,
      child: undefined,
      args: ['speaker', '--kubeconfig', kubeconfig, '--node-name', n.name, '--gossip-bind', `${n.address}:7946`, '--status', `${n.address}:7473`, '--gossip-profile', flags.profile, '--gossip-key-file', keyDir, '--layer2', lab ? 'on' : 'off', '--config-source', 'crd'],
    };
    parts.push(p);
    start(p);
  }

  // Allocations, as the controller writes them into the services' status.
  const { services } = await import('../../src/kube/resources.js');
  const seen = new Map<string, string>();
  const poll = setInterval(() => {
    void kube.list(services, SERVICE_NAMESPACE).then((list) => {
      for (const svc of list as { metadata: { name: string }; status?: { loadBalancer?: { ingress?: { ip: string }[] } } }[]) {
        const ips = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).join(', ');
        const before = seen.get(svc.metadata.name);
        if (before === ips || (before === undefined && ips === '')) continue;
        seen.set(svc.metadata.name, ips);
        say(ips ? `controller: ${svc.metadata.name} gets ${ips}` : `controller: ${svc.metadata.name} has no address (see its Events: curl http://${apiHost}:7472/status)`);
      }
    }, () => {});
  }, 500);

  const curl = lab ? `ip netns exec ${lab.lab.ns('client')} curl` : 'curl';
  const first = nodes[0]!;
  say(`started the API stand-in, the controller and ${count} speakers${lab ? ' in network namespaces' : ' on loopback (layer 2 off: nothing answers ARP on loopback)'}`);
  for (const p of speakers()) say(`  ${p.name}: pid ${p.child?.pid}, status http://${nodes.find((n) => n.name === p.name)!.address}:7473/status`);
  say(`services: edit ${servicesFile} while this runs`);
  say(`kubectl:      export KUBECONFIG=${kubeconfig}`);
  // In the lab the stand-in listens on the bridge: kubectl runs from a namespace on it.
  say(`              ${lab ? `ip netns exec ${lab.lab.ns('client')} ` : ''}kubectl get svc -w`);
  say(`look inside:  ${curl} -H 'Accept: text/plain' http://${first.address}:7473/status`);
  say(`              ${lab ? `ip netns exec ${lab.lab.ns(first.name)} ` : ''}node ${cli} status --url http://${first.address}:7473 --watch`);
  say(`              ${lab ? `ip netns exec ${lab.lab.ns(first.name)} ` : ''}node ${cli} explain 192.0.2.100 --url http://${first.address}:7473`);
  say(`              ${curl} http://${apiHost}:7472/status   (the controller)`);
  if (lab) say(`ARP from the client: ip netns exec ${lab.lab.ns('client')} arping -c 3 -I eth0 192.0.2.100`);
  say(`try a failure: kill -9 ${speakers().at(-1)?.child?.pid}   (${speakers().at(-1)?.name}); Ctrl-C stops the demo`);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      say('stopping: speakers leave gracefully, then the controller and the API stand-in stop');
      clearInterval(poll);
      unwatchFile(servicesFile);
      const order = [...speakers(), ...parts.filter((p) => !p.restartable).reverse()];
      void (async () => {
        for (const p of order) {
          const child = p.child;
          if (!child) continue;
          const gone = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
          if (p.child) child.kill('SIGKILL');
        }
        await lab?.lab.destroy();
        rmSync(dir, { recursive: true, force: true });
        resolve();
      })();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // Whatever goes wrong, leave no process or namespace behind.
    process.on('uncaughtException', (err) => {
      say(`demo failed: ${err.message}`);
      stop();
    });
  });
}

const LAB_API = '192.0.2.250';

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The namespaces of --lab: an API host, one per node, and a client, on one bridge. */
async function buildLab(count: number): Promise<{ lab: NetLab }> {
  const { NetLab, netlabUnavailable, run } = await import('../lab/netlab.js');
  const why = netlabUnavailable();
  if (why) throw new Error(`--lab ${why}; run the demo without --lab`);
  const prefix = 'shoal-demo-';
  const existing = (await run('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(prefix));
  if (existing.length) throw new Error(`namespaces of an earlier demo are still there (${existing.map((l) => l.split(' ')[0]).join(', ')}): remove them with \`ip netns del NAME\``);
  const lab = await NetLab.create('demo', prefix);
  await lab.host({ name: 'api', addrs: [`${LAB_API}/24`] });
  for (let i = 0; i < count; i++) await lab.host({ name: `node-${i + 1}`, addrs: [`192.0.2.${11 + i}/24`, `2001:db8::${11 + i}/64`], mac: `02:00:00:00:00:${(0x11 + i).toString(16)}` });
  await lab.host({ name: 'client', addrs: ['192.0.2.2/24', '2001:db8::2/64'] });
  return { lab };
}
