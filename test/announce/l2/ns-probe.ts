// Sends one hand-made Neighbor Solicitation and reports the first matching
// Neighbor Advertisement, for tests that need what ndisc6 cannot do (a hop
// limit other than 255, a unicast NS). Run as root inside a namespace:
//   node dist/test/announce/l2/ns-probe.js --iface=eth0 --src=2001:db8::99 --target=2001:db8::100
//     [--dst=2001:db8::100 --dst-mac=02:..] [--hop=64] [--wait-ms=500]
// Only solicited NAs count (from :: any NA for the target). Prints one JSON line: {"answered":false} or {"answered":true,"ethSrc":..,"ethDst":..,"ipDst":..,"na":{..}}.

import { formatMac } from '../../../src/announce/l2/mac.js';
import { decodeEthernet, ETHERTYPE_IPV6 } from '../../../src/announce/l2/ethernet.js';
import { decodeIpv6 } from '../../../src/announce/l2/ipv6.js';
import { loadPacketAddon } from '../../../src/announce/l2/native.js';
import { decodeNdp } from '../../../src/announce/l2/ndp.js';
import { nsFrame } from './frames.js';
import { unwrap } from '../../support/decoded.js';

function flag(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

function required(name: string): string {
  const v = flag(name);
  if (v === undefined) throw new Error(`--${name}= is required`);
  return v;
}

const addon = loadPacketAddon();
const iface = required('iface');
const target = required('target');
const srcMac = formatMac(addon.interfaceInfo(iface).mac);
const source = required('src');
const frame = nsFrame({
  srcMac,
  src: source,
  target,
  dst: flag('dst'),
  dstMac: flag('dst-mac'),
  hopLimit: flag('hop') === undefined ? undefined : Number(flag('hop')),
});

const socket = new addon.PacketSocket(
  iface,
  ETHERTYPE_IPV6,
  null,
  (raw) => {
    try {
      const eth = unwrap(decodeEthernet(raw));
      const ip = unwrap(decodeIpv6(eth.payload));
      if (ip.nextHeader !== 58 || ip.payload[0] !== 136) return;
      const na = unwrap(decodeNdp(ip.payload));
      // Only an answer to this NS: unsolicited NAs (a responder's takeover
      // schedule) may be on the wire too. A DAD probe's answer is unsolicited.
      if (na.type !== 'neighbor-advertisement' || na.target !== target) return;
      if (source !== '::' && !na.solicited) return;
      process.stdout.write(JSON.stringify({ answered: true, ethSrc: eth.src, ethDst: eth.dst, ipSrc: ip.src, ipDst: ip.dst, hopLimit: ip.hopLimit, na }) + '\n');
      finish();
    } catch {
      // not an NA we can read: keep waiting
    }
  },
  (err) => {
    process.stdout.write(JSON.stringify({ answered: false, error: err.message }) + '\n');
    finish();
  },
);
const timer = setTimeout(() => {
  process.stdout.write(JSON.stringify({ answered: false }) + '\n');
  finish();
}, Number(flag('wait-ms') ?? 500));

function finish(): void {
  clearTimeout(timer);
  socket.close();
}

socket.send(frame);
