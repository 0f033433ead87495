// A scripted BGP peer on the in-memory network: it speaks through the
// codec, records what it receives with the virtual time, and answers OPEN
// and KEEPALIVE on its own unless told not to.

import type { VirtualClock } from '../../../src/util/clock.js';
import type { MemoryNetwork } from './memory-transport.js';
import type { BgpSocket } from '../../../src/bgp/transport/socket.js';
import { BgpStreamReader } from '../../../src/bgp/messages/reader.js';
import { encodeMessage, type BgpMessage, type MessageVerdict } from '../../../src/bgp/messages/message.js';
import type { Capability } from '../../../src/bgp/messages/capabilities.js';
import type { OpenMessage } from '../../../src/bgp/messages/open.js';

export interface FakePeerOptions {
  address: string;
  port?: number;
  asn: number;
  routerId: string;
  holdTime?: number;
  capabilities?: Capability[];
  /** Answer OPEN with OPEN + KEEPALIVE. Default true. */
  autoOpen?: boolean;
  /** Answer each KEEPALIVE-carrying timer: send KEEPALIVE every keepaliveMs. Default hold/3 when set. */
  keepaliveMs?: number;
}

export interface Received {
  at: number;
  verdict: MessageVerdict;
}

export class FakePeer {
  readonly received: Received[] = [];
  socket?: BgpSocket;
  closedReason?: string;
  private readonly reader = new BgpStreamReader({ fourOctetAs: true, ibgp: false, maxLength: 4096 });
  private keepaliveTimer?: ReturnType<VirtualClock['setTimeout']>;
  private listening?: { close(): void };

  constructor(
    private readonly net: MemoryNetwork,
    private readonly clock: VirtualClock,
    readonly o: FakePeerOptions,
  ) {}

  get open(): OpenMessage {
    const caps: Capability[] = this.o.capabilities ?? [
      { kind: 'multiprotocol', afi: 1, safi: 1 },
      { kind: 'multiprotocol', afi: 2, safi: 1 },
      { kind: 'route-refresh' },
      { kind: 'four-octet-as', asn: this.o.asn },
    ];
    return { type: 'open', version: 4, myAs: this.o.asn > 0xffff ? 23456 : this.o.asn, holdTime: this.o.holdTime ?? 90, bgpId: this.o.routerId, parameters: [{ capabilities: caps }] };
  }

  listen(): this {
    this.listening = this.net.listen({ address: this.o.address, port: this.o.port ?? 179 }, (s) => this.attach(s));
    return this;
  }

  stopListening(): void {
    this.listening?.close();
  }

  /** Dials a listener (a session manager's) from this peer's address. */
  async dial(address: string, port = 179): Promise<void> {
    const s = await this.net.connector(this.o.address)({ remote: { address, port } }).promise;
    this.attach(s);
  }

  attach(s: BgpSocket): void {
    this.socket = s;
    this.closedReason = undefined;
    s.setListener({
      data: (chunk) => {
        this.reader.push(chunk);
        for (let v = this.reader.next(); v; v = this.reader.next()) this.onVerdict(v);
      },
      closed: (reason) => {
        this.closedReason = reason;
        this.clock.clearTimeout(this.keepaliveTimer);
      },
    });
  }

  send(m: BgpMessage): void {
    this.socket?.write(encodeMessage(m, this.reader.context));
  }

  sendRaw(b: Buffer): void {
    this.socket?.write(b);
  }

  messages(type?: BgpMessage['type']): BgpMessage[] {
    return this.received.flatMap((r) => (r.verdict.kind === 'message' && (!type || r.verdict.message.type === type) ? [r.verdict.message] : []));
  }

  times(type: BgpMessage['type']): number[] {
    return this.received.filter((r) => r.verdict.kind === 'message' && r.verdict.message.type === type).map((r) => r.at);
  }

  stopKeepalives(): void {
    this.clock.clearTimeout(this.keepaliveTimer);
    this.o.keepaliveMs = 0;
  }

  private onVerdict(v: MessageVerdict): void {
    this.received.push({ at: this.clock.now(), verdict: v });
    if (v.kind !== 'message') return;
    if (v.message.type === 'open') {
      const theirs = v.message;
      const four = theirs.parameters.some((p) => p.capabilities.some((c) => c.kind === 'four-octet-as'));
      const theirAsn = theirs.parameters.flatMap((p) => p.capabilities).find((c) => c.kind === 'four-octet-as');
      this.reader.context = { fourOctetAs: four && (this.o.capabilities ?? [{ kind: 'four-octet-as' }]).some((c) => c.kind === 'four-octet-as'), ibgp: (theirAsn?.kind === 'four-octet-as' ? theirAsn.asn : theirs.myAs) === this.o.asn, maxLength: 4096 };
      if (this.o.autoOpen !== false) {
        this.send(this.open);
        this.send({ type: 'keepalive' });
        this.scheduleKeepalive();
      }
    }
  }

  private scheduleKeepalive(): void {
    const every = this.o.keepaliveMs ?? ((this.o.holdTime ?? 90) * 1000) / 3;
    if (every <= 0) return;
    this.keepaliveTimer = this.clock.setTimeout(() => {
      this.send({ type: 'keepalive' });
      this.scheduleKeepalive();
    }, every);
  }
}

/** Advances a virtual clock timer by timer, letting promise callbacks run in between. */
export async function advance(clock: VirtualClock, ms: number): Promise<void> {
  const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
  const end = clock.now() + ms;
  await flush();
  for (;;) {
    const next = clock.nextAt();
    if (next === undefined || next > end) break;
    clock.runUntil(next);
    await flush();
  }
  clock.runUntil(end);
  await flush();
}
