// `shoal controller`: the cluster-wide allocator, MetalLB's controller
// replacement. One replica (no leader election, as MetalLB's); serves
// /status, /metrics and /healthz.
import type { Command } from 'commander';
import { CONFIG_SOURCE_MODES, DEFAULT_NAMESPACE, GOSSIP_SECRET_NAME, type ConfigSourceMode } from '../kube/defaults.js';
import { parseLogLevel, type LogLevel } from '../util/log.js';

/** MetalLB's long-standing metrics port (plain HTTP, before it moved to TLS on 9120). */
export const DEFAULT_CONTROLLER_STATUS_PORT = 7472;

export interface ControllerFlags {
  kubeconfig?: string;
  context?: string;
  namespace: string;
  lbClass?: string;
  configSource: string;
  configmap: string;
  status: string;
  logLevel: string;
  /** false with --no-gossip-secret. */
  gossipSecret?: string | false;
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export function registerControllerCommand(program: Command): void {
  const env = process.env;
  program
    .command('controller')
    .description('allocate LoadBalancer addresses from MetalLB pools: watch Services and the metallb.io configuration, write status.loadBalancer')
    .option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster service account, then $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('--namespace <ns>', 'namespace of the metallb.io objects and the legacy ConfigMap (env SHOAL_NAMESPACE or METALLB_NAMESPACE)', env['SHOAL_NAMESPACE'] || env['METALLB_NAMESPACE'] || DEFAULT_NAMESPACE)
    .option('--lb-class <class>', 'serve only services with this spec.loadBalancerClass (default: only services without a class, as MetalLB)')
    .option('--config-source <auto|crd|configmap>', 'where the configuration comes from; auto: whichever exists, refusing both at once', 'auto')
    .option('--configmap <name>', 'name of the legacy MetalLB ConfigMap', 'config')
    .option('--status <host:port>', 'bind address of /status, /metrics and /healthz', `0.0.0.0:${DEFAULT_CONTROLLER_STATUS_PORT}`)
    .option('--gossip-secret <name>', "the speakers' gossip key Secret, created with a random key when missing (as MetalLB's controller does)", GOSSIP_SECRET_NAME)
    .option('--no-gossip-secret', 'leave the gossip key Secret alone (created by other means)')
    .option('--log-level <level>', 'debug, info, warn or error (env SHOAL_LOG_LEVEL)', env['SHOAL_LOG_LEVEL'] || 'info')
    .action(async (flags: ControllerFlags) => {
      const { runController } = await import('./controller-run.js');
      await runController(flags);
    });
}

/** Checks the flags that have a fixed set of values; throws saying which is wrong. */
export function controllerSettings(flags: ControllerFlags): { mode: ConfigSourceMode; level: LogLevel } {
  if (!CONFIG_SOURCE_MODES.includes(flags.configSource as ConfigSourceMode)) {
    throw new Error(`--config-source ${JSON.stringify(flags.configSource)}: pick one of ${CONFIG_SOURCE_MODES.join(', ')}`);
  }
  if (!LOG_LEVELS.includes(flags.logLevel as LogLevel)) throw new Error(`--log-level ${JSON.stringify(flags.logLevel)}: pick one of ${LOG_LEVELS.join(', ')}`);
  if (flags.namespace === '') throw new Error('--namespace: empty');
  if (flags.lbClass === '') throw new Error('--lb-class: empty (omit the flag to serve services without a class)');
  if (flags.gossipSecret === '') throw new Error('--gossip-secret: empty (pass --no-gossip-secret to create none)');
  return { mode: flags.configSource as ConfigSourceMode, level: parseLogLevel(flags.logLevel) };
}

