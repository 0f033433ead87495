// The speaker's gossip key: where it comes from, what happens without one,
// and how that shows. Without a key anyone who can send UDP to port 7946
// can join the cluster, declare members dead and win elections, so:
//   - Kubernetes mode refuses to start without one, unless --insecure-gossip
//     says that is meant (the controller creates the memberlist Secret the
//     DaemonSet mounts, so a fresh install has a key);
//   - file mode runs, and warns every minute until a key is configured
//     (`shoal keygen` writes one), so existing hosts keep working through an
//     upgrade but nobody misses it;
//   - /status says which, in its `encryption` section.
import { existsSync } from 'node:fs';
import type { Keyring } from '../cluster/keyring.js';
import { loadKeyring } from '../cluster/launch.js';
import type { StatusSection } from '../status/server.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';


export interface GossipKey {
  readonly keyring: Keyring | undefined;
  /** For /status and the log: where the key came from, or why there is none. */
  readonly status: EncryptionStatus;
}

export interface EncryptionStatus {
  readonly gossip: 'on' | 'off';
  readonly keyFile: string | null;
  /** Keys in the ring (the first seals). */
  readonly keys: number;
  /** Why gossip is not encrypted, and what to do. */
  readonly warning: string | null;
}

async function open(path: string): Promise<GossipKey> {
  let keyring: Keyring;
  try {
    keyring = await loadKeyring(path);
  } catch (err) {
    throw new Error(`gossip key ${path}: ${(err as Error).message}`, { cause: err });
  }
  return { keyring, status: { gossip: 'on', keyFile: path, keys: keyring.size, warning: null } };
}

/** Kubernetes mode: the key file (the mounted memberlist Secret), or a refusal unless `insecure`. */
export async function kubeGossipKey(path: string | undefined, insecure: boolean, namespace: string): Promise<GossipKey> {
  if (path && existsSync(path)) return open(path);
  const where = path ? `no gossip key at ${path}` : 'no gossip key file given (--gossip-key-file or $SHOAL_ML_SECRET_KEY_PATH)';
  if (!insecure) {
    throw new Error(
      `${where}: refusing to gossip unencrypted, where anyone who can reach port 7946 could evict members and take service IPs. ` +
        `The controller creates the Secret "memberlist" in ${namespace} when it starts; the DaemonSet mounts it (k8s/speaker.yaml). ` +
        'Pass --insecure-gossip to run without encryption on purpose.',
    );
  }
  return { keyring: undefined, status: { gossip: 'off', keyFile: null, keys: 0, warning: `${where}; running unencrypted because of --insecure-gossip` } };
}

/** File mode: gossip.keyFile, or unencrypted with a warning. */
export async function fileGossipKey(keyFile: string | undefined, configPath: string): Promise<GossipKey> {
  if (keyFile) return open(keyFile);
  return {
    keyring: undefined,
    status: {
      gossip: 'off',
      keyFile: null,
      keys: 0,
      warning: `gossip is not encrypted: ${configPath} sets no gossip.keyFile. Anyone who can reach the gossip port can evict members and take VIPs; write a key with \`shoal keygen FILE\`, copy it to every host and set gossip.keyFile`,
    },
  };
}

export const UNENCRYPTED_WARNING_INTERVAL_MS = 60_000;

/**
 * Logs the warning of an unencrypted key status now and then every
 * `everyMs` (once when undefined); returns the stop. Nothing for a key.
 */
export function warnWhileUnencrypted(status: EncryptionStatus, clock: Clock, log: Logger, everyMs: number | undefined): () => void {
  if (status.warning === null) return () => {};
  const warning = status.warning;
  let timer: TimerHandle | undefined;
  const warn = (): void => {
    log.warn(warning);
    if (everyMs !== undefined) timer = clock.setTimeout(warn, everyMs);
  };
  warn();
  return () => clock.clearTimeout(timer);
}

export function encryptionSection(status: EncryptionStatus): StatusSection {
  return {
    name: 'encryption',
    json: () => status,
    text: () =>
      status.gossip === 'on'
        ? `encryption: gossip on (${status.keys} key(s) from ${status.keyFile ?? '?'})`
        : `encryption: gossip OFF: ${status.warning ?? ''}`,
  };
}
