// Free loopback ports for tests that start real processes: each port is
// checked free for both TCP and UDP (gossip uses both on one port).
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

async function tryPort(host: string, port: number): Promise<number | undefined> {
  const tcp = createServer();
  const ok = await new Promise<number | undefined>((resolve) => {
    tcp.once('error', () => resolve(undefined));
    tcp.listen({ host, port, exclusive: true }, () => {
      const a = tcp.address();
      resolve(typeof a === 'object' && a ? a.port : undefined);
    });
  });
  if (ok === undefined) return undefined;
  const udp = createSocket('udp4');
  const udpOk = await new Promise<boolean>((resolve) => {
    udp.once('error', () => resolve(false));
    udp.bind({ address: host, port: ok, exclusive: true }, () => resolve(true));
  });
  await new Promise<void>((r) => tcp.close(() => r()));
  await new Promise<void>((r) => (udpOk ? udp.close(() => r()) : r()));
  return udpOk ? ok : undefined;
}

/** n distinct ports free on host for TCP and UDP at the time of the call. */
export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const p = await tryPort(host, 0);
    if (p !== undefined && !out.includes(p)) out.push(p);
  }
  return out;
}
