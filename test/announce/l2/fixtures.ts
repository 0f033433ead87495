// Loads the kernel-captured frames in fixtures/kernel-frames.txt. Every
// accessor throws on a missing name, so a test cannot silently run on nothing.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'kernel-frames.txt');

let cache: Map<string, Buffer> | undefined;

export function kernelFrames(): Map<string, Buffer> {
  if (cache) return cache;
  const out = new Map<string, Buffer>();
  for (const line of readFileSync(FIXTURE, 'utf8').split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [name, hex, extra] = line.trim().split(/\s+/);
    if (!name || !hex || extra !== undefined || !/^([0-9a-f]{2})+$/.test(hex)) throw new Error(`bad fixture line: ${line}`);
    out.set(name, Buffer.from(hex, 'hex'));
  }
  cache = out;
  return out;
}

export function kernelFrame(name: string): Buffer {
  const f = kernelFrames().get(name);
  if (!f) throw new Error(`no fixture frame named ${name}`);
  return Buffer.from(f);
}

/** The two hosts of the capture. */
export const CAPTURE = {
  client: { mac: '02:00:00:00:00:99', ipv4: '192.0.2.99', ipv6: '2001:db8::99', linkLocal: 'fe80::d06c:32ff:fe2b:3c13' },
  node: { mac: '02:00:00:00:00:11', ipv4: '192.0.2.11', ipv6: '2001:db8::11' },
} as const;
