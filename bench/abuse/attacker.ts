// The attacker of bench/abuse, run as its own process so that its sending
// does not share an event loop with what it attacks:
//
//   node dist/bench/abuse/attacker.js '<json AttackConfig>'
//
// It runs one attack against gossip members on loopback until SIGTERM, then
// prints what it sent as one JSON line on stdout. It holds the cluster's key
// (the worst case: a compromised member), but its address is no member's.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { encodeMessage, encodePacket, encodeStreamMessage, MAX_U32 } from '../../src/cluster/codec.js';
import { Keyring } from '../../src/cluster/keyring.js';
import type { MemberRecord, Message } from '../../src/cluster/messages.js';

export type AttackKind = 'junk' | 'streams' | 'fakes' | 'forgery';

export interface AttackConfig {
  kind: AttackKind;
  host: string;
  /** Gossip ports of the members attacked. */
  ports: number[];
  /** Members by name and port, for forged news about them. */
  members: Array<{ name: string; port: number }>;
  keyFile: string;
  /** Junk datagrams a second, spread over the members. */
  junkPps: number;
  /** Stalled connections kept open to each member. */
  stalledStreams: number;
  /** Fake members offered in one push-pull. */
  fakesPerPushPull: number;
}

export interface AttackReport {
  datagrams: number;
  connections: number;
  pushPulls: number;
  seconds: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as AttackConfig;
const key = new Keyring([Buffer.from(readFileSync(config.keyFile, 'utf8').trim(), 'base64')]);
const report: AttackReport = { datagrams: 0, connections: 0, pushPulls: 0, seconds: 0 };
const startedAt = Date.now();
const udp = createSocket('udp4');
const sockets = new Set<Socket>();
const timers: NodeJS.Timeout[] = [];
let stopping = false;

const seal = (plain: Buffer): Buffer => key.seal(plain, Date.now());
const sealedPacket = (...msgs: Message[]): Buffer => seal(encodePacket(msgs.map(encodeMessage)));

function send(port: number, data: Buffer): void {
  udp.send(data, port, config.host);
  report.datagrams++;
}

/** Calls fn `perSecond` times a second, in batches every 10 ms. */
function atRate(perSecond: number, fn: () => void): void {
  let owed = 0;
  timers.push(
    setInterval(() => {
      owed += perSecond / 100;
      for (; owed >= 1; owed--) fn();
    }, 10),
  );
}

function junk(): void {
  let i = 0;
  atRate(config.junkPps, () => {
    // A new buffer each time: a datagram is sent after this returns.
    const buf = Buffer.allocUnsafe(200);
    for (let j = 0; j < buf.length; j += 4) buf.writeUInt32BE((Math.random() * 2 ** 32) >>> 0, j);
    // Random bytes, half of them shaped like a sealed packet stamped now, so
    // that they get as far as a decryption attempt.
    if (i % 2 === 0) {
      buf[0] = 0x03;
      const now = Date.now();
      buf.writeUInt32BE(Math.floor(now / 2 ** 32), 1);
      buf.writeUInt32BE(now % 2 ** 32, 5);
    }
    send(config.ports[i++ % config.ports.length]!, buf);
  });
}

function lengthHeader(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** Keeps `stalledStreams` connections to each member that claim 4 MiB and send nothing more. */
function streams(): void {
  const open = (port: number): void => {
    if (stopping) return;
    const sock = createConnection({ host: config.host, port });
    sockets.add(sock);
    report.connections++;
    sock.on('error', () => {});
    sock.on('connect', () => sock.write(lengthHeader(4 << 20)));
    sock.on('close', () => {
      sockets.delete(sock);
      // Reopen at once, as a determined attacker would.
      setTimeout(() => open(port), 10);
    });
  };
  for (const port of config.ports) for (let i = 0; i < config.stalledStreams; i++) open(port);
}

/** Push-pulls offering fake members by the thousand, and datagrams announcing more. */
function fakes(): void {
  let round = 0;
  const fake = (i: number): MemberRecord => ({
    name: `fake-${i}`,
    host: config.host,
    // Loopback ports nothing listens on (the members' own are refused as taken).
    port: 20_000 + (i % 10_000),
    incarnation: 0,
    state: 'alive',
    meta: {},
  });
  // Alternately one huge push-pull (refused whole, before decoding) and one
  // small enough to be taken (its new members then count against the limits).
  const pushPull = (): void => {
    const size = round % 2 ? 250 : config.fakesPerPushPull;
    const members = Array.from({ length: size }, (_, i) => fake(round * config.fakesPerPushPull + i));
    round++;
    const body = seal(encodeStreamMessage({ type: 'push-pull', join: true, members }));
    for (const port of config.ports) {
      const sock = createConnection({ host: config.host, port });
      sockets.add(sock);
      report.pushPulls++;
      sock.on('error', () => {});
      sock.on('connect', () => sock.end(Buffer.concat([lengthHeader(body.length), body])));
      sock.on('data', () => {});
      sock.on('close', () => sockets.delete(sock));
    }
  };
  timers.push(setInterval(pushPull, 500));
  pushPull();
  let n = 1_000_000;
  atRate(1_000, () => {
    const msgs: Message[] = Array.from({ length: 8 }, () => {
      const f = fake(n++);
      return { type: 'alive', incarnation: 0, node: f.name, host: f.host, port: f.port, meta: {} };
    });
    send(config.ports[n % config.ports.length]!, sealedPacket(...msgs));
  });
}

/**
 * Forged membership news sealed with the key: leaves, deaths and
 * suspicions at the top of the incarnation range, a dead + alive pair that
 * would move a member to our address, plausible suspicions at incarnation
 * 0, and replays (one sealed packet again and again, and packets stamped a
 * minute ago).
 */
function forgery(): void {
  const names = config.members.map((m) => m.name);
  let i = 0;
  const replayed = sealedPacket({ type: 'suspect', incarnation: 0, node: names[0]!, from: names[1]! });
  atRate(200, () => {
    const victim = names[i % names.length]!;
    const other = names[(i + 1) % names.length]!;
    const msgs: Message[][] = [
      [{ type: 'dead', incarnation: MAX_U32, node: victim, from: victim }],
      [{ type: 'suspect', incarnation: MAX_U32, node: victim, from: other }],
      [{ type: 'dead', incarnation: MAX_U32, node: victim, from: other }],
      [
        { type: 'dead', incarnation: 0, node: victim, from: victim },
        { type: 'alive', incarnation: 1, node: victim, host: config.host, port: 20_000, meta: {} },
      ],
      [{ type: 'suspect', incarnation: 0, node: victim, from: other }],
    ];
    send(config.ports[i % config.ports.length]!, sealedPacket(...msgs[i % msgs.length]!));
    i++;
  });
  atRate(500, () => send(config.ports[i++ % config.ports.length]!, replayed));
  atRate(100, () => send(config.ports[i++ % config.ports.length]!, key.seal(encodePacket([encodeMessage({ type: 'suspect', incarnation: 0, node: names[0]!, from: names[1]! })]), Date.now() - 60_000)));
}

const attacks: Record<AttackKind, () => void> = { junk, streams, fakes, forgery };
attacks[config.kind]();

process.on('SIGTERM', () => {
  stopping = true;
  for (const t of timers) clearInterval(t);
  for (const s of sockets) s.destroy();
  udp.close();
  report.seconds = (Date.now() - startedAt) / 1000;
  process.stdout.write(JSON.stringify(report) + '\n', () => process.exit(0));
});
