// The controller process behind `shoal controller` (loaded only when that
// command runs: it pulls in the Kubernetes client).
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parseAddress } from '../net/index.js';
import { Controller, controllerStatusSection } from '../controller/index.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { StatusServer } from '../status/server.js';
import { RealClock } from '../util/clock.js';
import { createLogger } from '../util/log.js';
import { startHeapRelease } from '../util/heap-release.js';
import { loadMemoryAddon, startPeriodicTrim } from '../util/malloc-trim.js';
import { controllerSettings, DEFAULT_CONTROLLER_STATUS_PORT, type ControllerFlags } from './controller.js';
import { stopOnSignals } from './signals.js';
import { VERSION } from './version.js';

export async function runController(flags: ControllerFlags): Promise<void> {
  const { mode, level } = controllerSettings(flags);
  const statusAddr = parseAddress(flags.status, DEFAULT_CONTROLLER_STATUS_PORT);
  const log = createLogger({ level, fields: { process: 'controller' } });
  const { kubeConfig, source } = loadKubeConfig({
    ...(flags.kubeconfig !== undefined && { kubeconfigPath: flags.kubeconfig }),
    ...(flags.context !== undefined && { context: flags.context }),
  });
  log.info('shoal controller starting', { version: VERSION, kubeconfig: source, server: kubeConfig.getCurrentCluster()?.server });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const controller = new Controller(kubeConfig, {
    namespace: flags.namespace,
    ...(flags.lbClass !== undefined && { loadBalancerClass: flags.lbClass }),
    configSource: mode,
    configMapName: flags.configmap,
    ...(typeof flags.gossipSecret === 'string' && { gossipSecret: flags.gossipSecret }),
    registry,
    logger: log,
  });
  const status = new StatusServer({
    listen: [statusAddr],
    registry,
    sections: [controllerStatusSection(() => controller.status())],
    unhealthy: () => controller.unhealthy(),
    logger: log,
  });
  await status.start();
  log.info('status endpoint listening', { address: `${statusAddr.host}:${status.port}` });

  const memory = loadMemoryAddon((message, fields) => log.warn(message, fields));
  const stopTrims = memory ? startPeriodicTrim(new RealClock(), memory.trim) : undefined;
  // Garbage a slow churn leaves is collected and its heap given back (src/util/heap-release.ts).
  const stopHeapRelease = memory ? startHeapRelease(new RealClock(), memory.reduceHeap) : undefined;
  stopOnSignals(log, async () => {
    stopTrims?.();
    stopHeapRelease?.();
    await controller.stop();
    await status.close();
  });
  await controller.start();
}
