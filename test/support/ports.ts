// Free loopback ports for tests and benchmarks that start real processes:
// each port is checked free for both TCP and UDP (gossip uses both on one
// port).
//
// A port is only known free at the moment it is checked; the child binds
// it later. Port 0 would hand out a port from the kernel's ephemeral range,
// the same range the kernel gives every outgoing connection a source port
// from, so on a busy machine a parallel test's connection could take it in
// between. Ports are therefore drawn at random from below that range, where
// only an explicit bind can take them.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 10_000;
const DEFAULT_EPHEMERAL_LOW = 32_768;

/** The first port of the kernel's ephemeral range (Linux), or its usual default. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST + 1000 ? low : DEFAULT_EPHEMERAL_LOW;
  } catch {
    return DEFAULT_EPHEMERAL_LOW;
  }
}

async function tryPort(host: string, port: number): Promise<boolean> {
  const family = host.includes(':') ? 'udp6' : 'udp4';
  const tcp = createServer();
  const tcpOk = await new Promise<boolean>((resolve) => {
    tcp.once('error', () => resolve(false));
    tcp.listen({ host, port, exclusive: true }, () => resolve(true));
  });
  if (!tcpOk) return false;
  const udp = createSocket(family);
  const udpOk = await new Promise<boolean>((resolve) => {
    udp.once('error', () => resolve(false));
    udp.bind({ address: host, port, exclusive: true }, () => resolve(true));
  });
  await new Promise<void>((r) => tcp.close(() => r()));
  await new Promise<void>((r) => (udpOk ? udp.close(() => r()) : r()));
  return udpOk;
}

/** n distinct ports free on host for TCP and UDP at the time of the call, none from the ephemeral range. */
export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const span = ephemeralLow() - LOWEST;
  const out: number[] = [];
  for (let tries = 0; out.length < n; tries++) {
    if (tries >= 1000 + 10 * n) throw new Error(`freePorts: no ${n} free ports on ${host} between ${LOWEST} and ${LOWEST + span - 1} after ${tries} tries`);
    const p = LOWEST + Math.floor(Math.random() * span);
    if (!out.includes(p) && (await tryPort(host, p))) out.push(p);
  }
  return out;
}
