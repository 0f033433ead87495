// `shoal gossip`: a gossip-only member with its status endpoint. The
// speaker embeds the same member; this command runs it alone (the demo
// cluster, and a check of the gossip layer on real hosts).
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { DEFAULT_GOSSIP_PORT } from '../cluster/options.js';

export interface GossipFlags {
  name: string;
  bind: string;
  advertise?: string;
  join: string[];
  profile: string;
  keyFile?: string;
  meta: string[];
  status?: string;
  leaveTimeout: string;
  lifeguard: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

export function registerGossipCommand(program: Command): void {
  program
    .command('gossip')
    .description('run a gossip-only member (SWIM + Lifeguard) with its status endpoint')
    .option('--name <name>', 'unique member name', hostname())
    .option('--bind <host:port>', 'gossip UDP+TCP bind address', `0.0.0.0:${DEFAULT_GOSSIP_PORT}`)
    .option('--advertise <host:port>', 'address other members reach this one at (default: the bind address, or the first non-loopback IPv4 when bound to a wildcard)')
    .option('--join <host:port,...>', 'seed members to join through (repeatable)', collect, [])
    .option('--profile <lan|fast>', 'timing profile', 'fast')
    .option('--key-file <path>', 'AES-256 gossip keys, base64, one per line, primary first')
    .option('--meta <key=value>', 'metadata to gossip (repeatable)', collect, [])
    .option('--status <host:port,...>', 'status/metrics HTTP listen addresses (default: the advertise address and 127.0.0.1, port 7473)')
    .option('--leave-timeout <ms>', 'how long a graceful leave may take on SIGTERM', '2000')
    .option('--no-lifeguard', 'turn the Lifeguard extensions off (for comparison only)')
    .action(async (flags: GossipFlags) => {
      const { runGossipMember } = await import('./gossip-run.js');
      await runGossipMember(flags);
    });
}
