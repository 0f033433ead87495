// Where the API server is, decided the way client-go's BuildConfigFromFlags
// decides it: what the caller asked for explicitly wins (options object, a
// --kubeconfig path), then the pod's service account when running inside a
// cluster, then $KUBECONFIG, then ~/.kube/config. Unlike client-node's
// loadFromDefault this never falls back to an unauthenticated
// http://localhost:8080: finding nothing is an error that says what was tried.

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Cluster, Context, User } from '@kubernetes/client-node';
// client-node's modules are imported one by one, not through its index,
// which also loads every generated API and model class (src/kube/wire.ts).
// The package has no "exports" map, so these paths are public in effect;
// should a later 1.x add one, every Kubernetes test fails at import.
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';

export type KubeConfigSource = 'options' | 'file' | 'in-cluster' | 'env' | 'home';

export interface LoadKubeConfigOptions {
  /** A complete configuration (tests, `shoal-dev demo`): used as is. */
  options?: { clusters: Cluster[]; users: User[]; contexts: Context[]; currentContext: string };
  /** An explicit kubeconfig file (--kubeconfig). */
  kubeconfigPath?: string;
  /** Context to switch to after loading a file. */
  context?: string;
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Prefix for the service account directory, for tests; default ''. */
  inClusterRoot?: string;
  /** Defaults to os.homedir(). */
  homeDir?: string;
}

export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

export function loadKubeConfig(opts: LoadKubeConfigOptions = {}): { kubeConfig: KubeConfig; source: KubeConfigSource } {
  const kc = new KubeConfig();
  const env = opts.env ?? process.env;
  const pick = (source: KubeConfigSource): { kubeConfig: KubeConfig; source: KubeConfigSource } => {
    if (opts.context !== undefined && source !== 'options' && source !== 'in-cluster') {
      if (!kc.getContextObject(opts.context)) throw new Error(`kubeconfig has no context "${opts.context}"`);
      kc.setCurrentContext(opts.context);
    }
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error(`kubeconfig (${source}) has no current cluster: set current-context or pass a context`);
    if (!cluster.server) throw new Error(`kubeconfig (${source}): cluster "${cluster.name}" has no server`);
    withoutTrailingSlashes(kc);
    return { kubeConfig: kc, source };
  };
  if (opts.options) {
    kc.loadFromOptions(opts.options);
    return pick('options');
  }
  if (opts.kubeconfigPath) {
    kc.loadFromFile(opts.kubeconfigPath);
    return pick('file');
  }
  const root = opts.inClusterRoot ?? '';
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  const tried: string[] = [];
  if (host && port && existsSync(`${root}${serviceAccountDir}/token`)) {
    // client-node reads the service host and port from process.env itself.
    const saved = { host: process.env['KUBERNETES_SERVICE_HOST'], port: process.env['KUBERNETES_SERVICE_PORT'] };
    process.env['KUBERNETES_SERVICE_HOST'] = host;
    process.env['KUBERNETES_SERVICE_PORT'] = port;
    try {
      kc.loadFromCluster(root);
    } finally {
      restoreEnv('KUBERNETES_SERVICE_HOST', saved.host);
      restoreEnv('KUBERNETES_SERVICE_PORT', saved.port);
    }
    return pick('in-cluster');
  }
  tried.push(host && port ? `in-cluster (no token at ${root}${serviceAccountDir}/token)` : 'in-cluster (KUBERNETES_SERVICE_HOST/PORT not set)');
  const fromEnv = (env['KUBECONFIG'] ?? '').split(delimiter).filter((f) => f !== '');
  if (fromEnv.length > 0) {
    kc.loadFromFile(fromEnv[0]!);
    for (const f of fromEnv.slice(1)) {
      const more = new KubeConfig();
      more.loadFromFile(f);
      kc.mergeConfig(more, true);
    }
    return pick('env');
  }
  tried.push('$KUBECONFIG (not set)');
  const home = join(opts.homeDir ?? homedir(), '.kube', 'config');
  if (existsSync(home)) {
    kc.loadFromFile(home);
    return pick('home');
  }
  tried.push(`${home} (missing)`);
  throw new Error(`no Kubernetes configuration found; tried ${tried.join(', ')}`);
}

/**
 * client-node appends a request's path to the server as written, so a
 * server written with a trailing slash ("https://host:6443/") would give
 * "//api/v1/..." to every list, write and watch.
 */
function withoutTrailingSlashes(kc: KubeConfig): void {
  if (!kc.clusters.some((c) => c.server.endsWith('/'))) return;
  const clusters = kc.clusters.map((c) => ({ ...c, server: c.server.replace(/\/+$/, '') }));
  kc.loadFromOptions({ clusters, users: kc.users, contexts: kc.contexts, currentContext: kc.currentContext });
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
