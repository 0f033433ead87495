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

/**
 * CPU time in a /proc/PID/stat line, user and system, in seconds. /proc
 * counts it in USER_HZ ticks, which Linux fixes at 100 for user space
 * whatever the kernel's own HZ.
 */
export function statCpuSeconds(stat: string): number | undefined {
  // The command name (field 2) may hold spaces and parentheses: count fields from after its last ')'.
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  // Fields 14 and 15 of the line, utime and stime; the state, field 3, is the first here.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return fields.length > 12 && Number.isInteger(utime) && Number.isInteger(stime) ? (utime + stime) / 100 : undefined;
}

/** CPU time a live process has used since it started, user and system, in seconds; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Node flags given to a bench as one argument, `--NAME=--flag-a --flag-b`
 * (space-separated, so that they do not read as the bench's own flags).
 */
export function nodeFlagsArg(name: string, argv: readonly string[] = process.argv): string[] {
  const given = argv.find((a) => a.startsWith(`--${name}=`));
  return given ? given.slice(name.length + 3).split(' ').filter(Boolean) : [];
}

/** A port free on `host` right now for TCP and UDP (see test/support/ports.ts). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host);
  return port!;
}
