// A client-node KubeConfig (and the equivalent kubeconfig file text) that
// points at the double: plain HTTP on loopback, no credentials.

import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

export interface DoubleKubeConfigOptions {
  /** Context, cluster and user name; default "shoal-double". */
  name?: string;
  /** Namespace of the context; default "default". */
  namespace?: string;
}

/**
 * client-node refuses http:// servers unless skipTLSVerify is set, so the
 * cluster entry sets it; there is no TLS to verify on the double.
 */
export function kubeConfigFor(url: string, opts: DoubleKubeConfigOptions = {}): KubeConfig {
  const name = opts.name ?? 'shoal-double';
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name, server: url, skipTLSVerify: true }],
    users: [{ name }],
    contexts: [{ name, cluster: name, user: name, namespace: opts.namespace ?? 'default' }],
    currentContext: name,
  });
  return kc;
}

/** The same configuration as kubeconfig YAML, for kubectl or KUBECONFIG. */
export function kubeConfigYaml(url: string, opts: DoubleKubeConfigOptions = {}): string {
  const name = opts.name ?? 'shoal-double';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: {} }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: opts.namespace ?? 'default' } }],
    'current-context': name,
  });
}
