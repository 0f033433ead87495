// What the kubelet does for a pod that mounts a Secret, for the demo and the
// lab tests that run speakers without one: wait until the Secret exists,
// then write each of its keys as a file (mode 0400) in a directory, which
// the speaker is given as --gossip-key-file as the DaemonSet gives it the
// mount. The controller creates the Secret, as in a cluster.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { secrets } from '../../src/kube/resources.js';
import type { SocketKube } from './kube-socket.js';

export async function mountSecret(kube: SocketKube, namespace: string, name: string, dir: string, timeoutMs = 30_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = (await kube.get(secrets, namespace, name)) as { data?: Record<string, string> } | undefined;
    if (s?.data) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      for (const [key, value] of Object.entries(s.data)) writeFileSync(join(dir, key), Buffer.from(value, 'base64'), { mode: 0o400 });
      return dir;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for the Secret ${namespace}/${name} (the controller creates it)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
