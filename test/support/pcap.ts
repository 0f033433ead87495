// Classic pcap files (what `tcpdump -w` writes): the frames and when they
// were captured. Microsecond or nanosecond timestamps, either byte order,
// Ethernet link type only; a record cut short by a capture that was stopped
// mid-write ends the list.
//
//  global header (24 bytes): magic, version 2.4, zone, sigfigs, snaplen, link type
//  record header (16 bytes): seconds, fraction (us or ns), captured length, original length

export interface PcapRecord {
  /** Capture time, ms since the epoch (fractional). */
  readonly at: number;
  /** The bytes captured (at most the snap length). */
  readonly frame: Buffer;
  /** The frame's length on the wire. */
  readonly wireLength: number;
}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;
const LINKTYPE_ETHERNET = 1;

export function pcapRecords(pcap: Buffer): PcapRecord[] {
  if (pcap.length < GLOBAL_HEADER) throw new Error(`a pcap file has a 24-byte header; this one has ${pcap.length} bytes`);
  const le = pcap.readUInt32LE(0) === MAGIC_US || pcap.readUInt32LE(0) === MAGIC_NS;
  const u32 = (o: number): number => (le ? pcap.readUInt32LE(o) : pcap.readUInt32BE(o));
  const magic = u32(0);
  if (magic !== MAGIC_US && magic !== MAGIC_NS) throw new Error(`not a pcap file (magic 0x${pcap.readUInt32BE(0).toString(16)})`);
  const fractionPerMs = magic === MAGIC_NS ? 1e6 : 1e3;
  if (u32(20) !== LINKTYPE_ETHERNET) throw new Error(`link type ${u32(20)}, expected Ethernet (1)`);
  const out: PcapRecord[] = [];
  for (let off = GLOBAL_HEADER; off + RECORD_HEADER <= pcap.length; ) {
    const incl = u32(off + 8);
    if (off + RECORD_HEADER + incl > pcap.length) break;
    out.push({ at: u32(off) * 1000 + u32(off + 4) / fractionPerMs, frame: pcap.subarray(off + RECORD_HEADER, off + RECORD_HEADER + incl), wireLength: u32(off + 12) });
    off += RECORD_HEADER + incl;
  }
  return out;
}
