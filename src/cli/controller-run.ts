// The controller process behind `shoal controller` (loaded only when that
// command runs: it pulls in the Kubernetes client).
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parseAddress } from '../net/index.js';
import { Controller, controllerStatusSection } from '../controller/index.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { StatusServer } from '../status/server.js';
import { RealClock } from '../util/clock.js';
import { createLogger } from '../util/log.js';
import { startMemoryUpkeep } from '../util/heap-release.js';
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

  // Freed C heap and the heap a burst or a slow churn left go back to the system (src/util/heap-release.ts).
  const stopMemoryUpkeep = startMemoryUpkeep(new RealClock(), (message, fields) => log.warn(message, fields));
  stopOnSignals(log, async () => {
    stopMemoryUpkeep();
    await controller.stop();
    await status.close();
  });
  await controller.start();
}
