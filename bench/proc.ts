// What the benchmarks read of the processes they start, and the one way
// they pick a port for them.
import { readFileSync } from 'node:fs';
import { freePorts } from '../test/support/ports.js';

/** VmRSS of a live process, MiB; undefined once it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** A port free on `host` right now for TCP and UDP (see test/support/ports.ts). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host);
  return port!;
}
