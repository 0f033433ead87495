// `shoal-dev apiserver`: the in-repo Kubernetes API server double as a process,
// for the demo and namespace tests (in-memory, plain HTTP, no auth: never
// for production). It writes a kubeconfig for its clients and can preload
// manifests.
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';

interface ApiserverFlags {
  listen: string;
  socket?: string;
  kubeconfigOut?: string;
  objects: string[];
  serviceCidrs: string;
}

export function registerApiserverCommand(program: Command): void {
  program
    .command('apiserver')
    .description('run the in-memory Kubernetes API server double (for the demo and tests; not for production)')
    .option('--listen <host:port>', 'HTTP address', '127.0.0.1:6443')
    .option('--socket <path>', 'also serve on this unix socket')
    .option('--kubeconfig-out <path>', 'write a kubeconfig pointing at --listen here')
    .option('--objects <file>', 'YAML manifests to load at start (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--service-cidrs <cidr,cidr>', 'ClusterIP ranges (two families make the cluster dual-stack)', '10.96.0.0/16,2001:db8:ffff::/112')
    .action(async (flags: ApiserverFlags) => {
      const { parseAddress } = await import('../../src/net/index.js');
      const { startApiServerDouble } = await import('./server.js');
      const { kubeConfigYaml } = await import('./kubeconfig.js');
      const { applyYaml } = await import('./apply.js');
      const { createLogger } = await import('../../src/util/log.js');
      const log = createLogger({ fields: { component: 'apiserver' } });
      const at = parseAddress(flags.listen, 6443);
      const api = await startApiServerDouble({
        host: at.host,
        port: at.port,
        logger: log,
        serviceCidrs: flags.serviceCidrs.split(',').map((c) => c.trim()),
        ...(flags.socket ? { socketPath: flags.socket } : {}),
      });
      for (const file of flags.objects) log.info('objects loaded', { file, count: applyYaml(api.store, await readFile(file, 'utf8'), file) });
      if (flags.kubeconfigOut) await writeFile(flags.kubeconfigOut, kubeConfigYaml(api.url));
      log.info('serving', { url: api.url, ...(flags.socket ? { socket: flags.socket } : {}) });
      const stop = (): void => void api.close().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
}
