// The client's probe, run inside the client namespace:
//
//   node prober.js INTERVAL_MS VIP[,VIP...]
//
// Once per interval it broadcasts one ARP request per IPv4 VIP and sends one
// Neighbor Solicitation per IPv6 VIP (to its solicited-node group), from the
// probe identity (topology.ts), and prints "round <epoch ms>" once they are
// out. The answers are recorded by tcpdump, not here. In the same round it
// sends one UDP datagram to every VIP from the client's own addresses: that
// is the "application traffic" that keeps the client's kernel neighbour
// entries in use, which is what the benchmark reads to see where the
// client points.
import { createSocket } from 'node:dgram';
import { assembleBpf } from '../../src/announce/l2/bpf.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV6 } from '../../src/announce/l2/ethernet.js';
import { loadPacketAddon } from '../../src/announce/l2/native.js';
import { arpRequestFrame, neighborSolicitationFrame } from './probe-frames.js';
import { CLIENT_IP, CLIENT_IP6, isV6 } from './topology.js';

/** UDP discard: nothing listens, the datagram only has to leave through the neighbour entry. */
const DISCARD_PORT = 9;

function main(): void {
  const intervalMs = Number(process.argv[2]);
  const vips = (process.argv[3] ?? '').split(',').filter(Boolean);
  if (!(intervalMs > 0) || vips.length === 0) throw new Error('usage: prober.js INTERVAL_MS VIP[,VIP...]');
  const addon = loadPacketAddon();
  // Send-only sockets: a filter that accepts nothing keeps received frames out of this process.
  const dropAll = assembleBpf([{ code: 0x06, jt: 0, jf: 0, k: 0 }]);
  const fail = (err: Error): void => {
    process.stderr.write(`prober: ${err.message}\n`);
    process.exit(1);
  };
  const arpSock = new addon.PacketSocket('eth0', ETHERTYPE_ARP, dropAll, () => undefined, fail);
  const v6Sock = new addon.PacketSocket('eth0', ETHERTYPE_IPV6, dropAll, () => undefined, fail);
  const udp4 = createSocket('udp4');
  const udp6 = createSocket('udp6');
  udp4.bind({ address: CLIENT_IP });
  udp6.bind({ address: CLIENT_IP6 });
  const frames = vips.map((v) => ({ v, frame: isV6(v) ? neighborSolicitationFrame(v) : arpRequestFrame(v) }));
  const payload = Buffer.from('x');
  const round = (): void => {
    const at = Date.now();
    for (const { v, frame } of frames) {
      try {
        (isV6(v) ? v6Sock : arpSock).send(frame);
      } catch (err) {
        process.stderr.write(`prober: send for ${v}: ${(err as Error).message}\n`);
      }
      // A send error (no route while the link flaps) is the client's normal life: ignore it.
      (isV6(v) ? udp6 : udp4).send(payload, DISCARD_PORT, v, () => undefined);
    }
    process.stdout.write(`round ${at}\n`);
  };
  // Rounds on a fixed grid, so a slow round does not shift the ones after it.
  const start = Date.now();
  let k = 0;
  const tick = (): void => {
    round();
    k += 1;
    setTimeout(tick, Math.max(0, start + k * intervalMs - Date.now()));
  };
  tick();
  process.on('SIGTERM', () => process.exit(0));
}

main();
