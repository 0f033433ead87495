// The faults bench/chaos injects, each acting on the lab and the system
// under test and returning when it began and when it healed. All of them act
// inside the lab's namespaces only (routes, iptables rules, bridge ports,
// signals to pids the lab started).
import type { NetLab } from '../../dev/lab/netlab.js';
import type { ChaosSystem } from './systems.js';
import { NODES, nodeIp, type NodeName } from './topology.js';

export interface FaultContext {
  lab: NetLab;
  sys: ChaosSystem;
  /** The node the fault targets (an owner); unused by faults on every node. */
  victim: NodeName;
  /** Scales the fault's duration (the loss fault runs shorter in --quick). */
  lossMs: number;
}

export interface FaultSpan {
  faultAt: number;
  healAt: number;
}

export interface Fault {
  name: string;
  /** What the table says. */
  label: string;
  /** Targets one owner (false: every node). */
  targeted: boolean;
  /** The client-visible outage is measured (the owner stops serving). */
  outage: boolean;
  act(ctx: FaultContext): Promise<FaultSpan>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function iptables(lab: NetLab, n: NodeName, args: string[]): Promise<void> {
  await lab.exec(n, 'iptables', ['-w', ...args]);
}

/** Drops the system's control traffic on the victim in the given chains, for `ms`. */
async function blockControl(ctx: FaultContext, chains: string[], ms: number): Promise<FaultSpan> {
  const faultAt = Date.now();
  for (const chain of chains) for (const m of ctx.sys.controlMatches) await iptables(ctx.lab, ctx.victim, ['-A', chain, ...m, '-j', 'DROP']);
  await sleep(ms - (Date.now() - faultAt));
  for (const chain of chains) await iptables(ctx.lab, ctx.victim, ['-F', chain]);
  return { faultAt, healAt: Date.now() };
}

/**
 * Cuts the victim off from every other node, both ways, and leaves the
 * client's address reachable: blackhole routes (the fault as a routing
 * mistake makes it), and iptables drops on the victim for the same
 * addresses, because a socket bound to its interface (keepalived's VRRP
 * socket) is routed past a blackhole route (`ip route get ... oif eth0`
 * answers "dev eth0").
 */
async function setPartition(ctx: FaultContext, on: boolean): Promise<void> {
  const verb = on ? 'add' : 'del';
  const others = NODES.filter((m) => m !== ctx.victim);
  await Promise.all([
    (async () => {
      for (const m of others) await ctx.lab.ip(ctx.lab.ns(ctx.victim), 'route', verb, 'blackhole', `${nodeIp(m)}/32`);
      if (!on) {
        for (const chain of ['INPUT', 'OUTPUT']) await iptables(ctx.lab, ctx.victim, ['-F', chain]);
        return;
      }
      for (const m of others) {
        await iptables(ctx.lab, ctx.victim, ['-A', 'INPUT', '-s', nodeIp(m), '-j', 'DROP']);
        await iptables(ctx.lab, ctx.victim, ['-A', 'OUTPUT', '-d', nodeIp(m), '-j', 'DROP']);
      }
    })(),
    ...others.map((m) => ctx.lab.ip(ctx.lab.ns(m), 'route', verb, 'blackhole', `${nodeIp(ctx.victim)}/32`)),
  ]);
}

/** The victim stops answering the client's echo requests (its "service"), or starts again. */
async function setServiceDown(ctx: FaultContext, down: boolean): Promise<void> {
  const op = down ? '-A' : '-D';
  await ctx.lab.exec(ctx.victim, 'iptables', ['-w', op, 'INPUT', '-p', 'icmp', '--icmp-type', 'echo-request', '-j', 'DROP']);
  await ctx.lab.exec(ctx.victim, 'ip6tables', ['-w', op, 'INPUT', '-p', 'ipv6-icmp', '--icmpv6-type', 'echo-request', '-j', 'DROP']);
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // gone already
    }
  }
}

export const FAULTS: readonly Fault[] = [
  {
    name: 'kill',
    label: 'SIGKILL owner + its service, restart after 5 s',
    targeted: true,
    outage: true,
    async act(ctx) {
      const faultAt = Date.now();
      // The node's service dies with the daemon (as bench/failover kills the
      // HTTP server too): every node accepts the VIPs on lo, so otherwise
      // the victim's kernel would go on serving the client and hide the outage.
      await Promise.all([ctx.sys.kill(ctx.victim), setServiceDown(ctx, true)]);
      await sleep(5000 - (Date.now() - faultAt));
      const healAt = Date.now();
      await setServiceDown(ctx, false);
      await ctx.sys.restart(ctx.victim);
      return { faultAt, healAt };
    },
  },
  {
    name: 'link',
    label: 'owner link down 10 s',
    targeted: true,
    outage: true,
    async act(ctx) {
      const faultAt = Date.now();
      await ctx.lab.setLink(ctx.victim, false);
      await sleep(10_000 - (Date.now() - faultAt));
      const healAt = Date.now();
      await ctx.lab.setLink(ctx.victim, true);
      return { faultAt, healAt };
    },
  },
  {
    name: 'partition',
    label: 'owner cut from speakers 10 s',
    targeted: true,
    outage: false,
    async act(ctx) {
      const faultAt = Date.now();
      await setPartition(ctx, true);
      await sleep(10_000 - (Date.now() - faultAt));
      const healAt = Date.now();
      await setPartition(ctx, false);
      return { faultAt, healAt };
    },
  },
  {
    name: 'gossip-block',
    label: 'control port blocked on owner 10 s',
    targeted: true,
    outage: false,
    act: (ctx) => blockControl(ctx, ['INPUT', 'OUTPUT'], 10_000),
  },
  {
    name: 'one-way',
    label: "owner's outgoing control dropped 10 s",
    targeted: true,
    outage: false,
    act: (ctx) => blockControl(ctx, ['OUTPUT'], 10_000),
  },
  {
    name: 'loss',
    label: '10% loss on every node',
    targeted: false,
    outage: false,
    async act(ctx) {
      const faultAt = Date.now();
      for (const n of NODES) await iptables(ctx.lab, n, ['-A', 'INPUT', '-m', 'statistic', '--mode', 'random', '--probability', '0.1', '-j', 'DROP']);
      await sleep(ctx.lossMs - (Date.now() - faultAt));
      for (const n of NODES) await iptables(ctx.lab, n, ['-F', 'INPUT']);
      return { faultAt, healAt: Date.now() };
    },
  },
  {
    name: 'stop',
    label: 'SIGSTOP owner 2 s',
    targeted: true,
    outage: false,
    async act(ctx) {
      const pids = ctx.sys.pids(ctx.victim);
      const faultAt = Date.now();
      signal(pids, 'SIGSTOP');
      await sleep(2000);
      const healAt = Date.now();
      signal(pids, 'SIGCONT');
      return { faultAt, healAt };
    },
  },
  {
    name: 'flap',
    label: 'owner link flaps every 3 s for 30 s',
    targeted: true,
    outage: false,
    async act(ctx) {
      const faultAt = Date.now();
      let up = true;
      let healAt = faultAt;
      while (Date.now() - faultAt < 30_000) {
        up = !up;
        healAt = Date.now();
        await ctx.lab.setLink(ctx.victim, up);
        await sleep(3000);
      }
      // Down at 0, 6, ... 24 s and up at 3, ... 27 s: the heal is the last up.
      if (!up) {
        healAt = Date.now();
        await ctx.lab.setLink(ctx.victim, true);
      }
      return { faultAt, healAt };
    },
  },
];

export function faultByName(name: string): Fault {
  const f = FAULTS.find((x) => x.name === name);
  if (!f) throw new Error(`--faults: no fault "${name}"; the faults are ${FAULTS.map((x) => x.name).join(', ')}`);
  return f;
}
