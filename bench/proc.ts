// What the benchmarks read of the processes they start, and the one way
// they pick a port for them.
import { readFileSync } from 'node:fs';
import { freePorts } from '../test/support/ports.js';

/** A memory figure of /proc/PID/status, MiB; undefined once the process is gone. */
function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** VmRSS of a live process, MiB. */
export function rssMiB(pid: number): number | undefined {
  return statusMiB(pid, 'VmRSS');
}

/** VmHWM of a live process, MiB: the most it has held at once since it started. */
export function peakRssMiB(pid: number): number | undefined {
  return statusMiB(pid, 'VmHWM');
}

/** A port free on `host` right now for TCP and UDP (see test/support/ports.ts). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host);
  return port!;
}
