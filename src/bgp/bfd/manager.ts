// All BFD sessions of a speaker: one per BGP peer that has a BFD profile.
// Received packets are demultiplexed by Your Discriminator, or by source
// address while the peer does not know ours yet (RFC 5880 6.3, RFC 5881 3),
// and dropped unless their TTL is 255 (RFC 5881 5, GTSM). Every drop is
// counted by reason; nothing here throws on bad input.

import { ipFamily, ipKey } from '../../net/index.js';
import type { Clock } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/log.js';
import type { ResolvedBfdProfile } from '../options.js';
import type { BfdStatus } from '../status.js';
import { decodeBfd, receptionProblem } from './packet.js';
import { BfdSession, bfdConfig, type BfdStateChange } from './session.js';
import type { BfdDatagram, BfdSender, BfdTransport } from './transport.js';

export interface BfdManagerDeps {
  readonly clock: Clock;
  readonly transport: BfdTransport;
  readonly random?: () => number;
  readonly logger?: Logger;
  /** A packet was dropped, and why: 'ttl', 'malformed', 'unknown-session', or the session's discard reason. */
  readonly dropped?: (reason: string) => void;
}

interface Entry {
  readonly session: BfdSession;
  sender?: BfdSender;
  closed: boolean;
}

export type BfdVerdict = 'accepted' | 'malformed' | 'invalid' | 'unknown-session' | 'ttl' | 'discarded';

export class BfdManager {
  private readonly byAddress = new Map<string, Entry>();
  private readonly byDiscr = new Map<number, Entry>();
  private readonly random: () => number;
  private readonly log: Logger;

  constructor(private readonly deps: BfdManagerDeps) {
    this.random = deps.random ?? Math.random;
    this.log = (deps.logger ?? silentLogger).child({ component: 'bfd' });
  }

  /**
   * Starts a session to peerAddress. hooks.changed sees every state change;
   * the caller decides which ones mean the path is down.
   */
  async add(
    peerAddress: string,
    profile: ResolvedBfdProfile,
    hooks: { changed: (c: BfdStateChange) => void; counted?: (direction: 'in' | 'out') => void },
    localAddress?: string,
  ): Promise<BfdSession> {
    const address = ipKey(peerAddress);
    if (this.byAddress.has(address)) throw new Error(`a BFD session to ${address} already exists`);
    const family = ipFamily(address) ?? 4;
    await this.deps.transport.listen(family, (d) => this.handle(d));
    let discr = 0;
    while (discr === 0 || this.byDiscr.has(discr)) discr = Math.floor(this.random() * 0xffffffff) >>> 0;
    const entry: Entry = {
      closed: false,
      session: new BfdSession(address, bfdConfig(profile), discr, {
        clock: this.deps.clock,
        random: this.random,
        send: (b) => entry.sender?.send(b),
        stateChanged: (c) => {
          this.log.info('BFD state', { peer: address, from: c.from, to: c.to, diag: c.diag, remoteAdminDown: c.remoteAdminDown });
          hooks.changed(c);
        },
        ...(hooks.counted ? { counted: hooks.counted } : {}),
      }),
    };
    this.byAddress.set(address, entry);
    this.byDiscr.set(discr, entry);
    const sender = await this.deps.transport.openSender(address, localAddress);
    if (entry.closed) {
      sender.close();
      return entry.session;
    }
    entry.sender = sender;
    entry.session.start();
    return entry.session;
  }

  /** Tells the peer AdminDown and forgets the session. */
  remove(peerAddress: string): void {
    const address = ipKey(peerAddress);
    const e = this.byAddress.get(address);
    if (!e) return;
    e.session.stop();
    e.closed = true;
    e.sender?.close();
    this.byAddress.delete(address);
    this.byDiscr.delete(e.session.localDiscr);
  }

  session(peerAddress: string): BfdSession | undefined {
    return this.byAddress.get(ipKey(peerAddress))?.session;
  }

  status(peerAddress: string): BfdStatus | undefined {
    return this.session(peerAddress)?.status();
  }

  /** One received datagram: decode, demultiplex, check, hand over. */
  handle(d: BfdDatagram): BfdVerdict {
    const decoded = decodeBfd(d.data);
    if (!decoded.ok) return this.drop('malformed', decoded.error.message, d);
    const p = decoded.value;
    const problem = receptionProblem(p);
    if (problem) return this.drop('invalid', problem, d);
    const e = p.yourDiscriminator !== 0 ? this.byDiscr.get(p.yourDiscriminator) : this.byAddress.get(d.address);
    if (!e) return this.drop('unknown-session', `no session for discriminator ${p.yourDiscriminator} from ${d.address}`, d);
    if (d.ttl !== 255) return this.drop('ttl', `TTL ${d.ttl}, single-hop BFD requires 255`, d);
    const discarded = e.session.receive(p);
    if (discarded) return this.drop('discarded', discarded, d);
    return 'accepted';
  }

  async close(): Promise<void> {
    for (const a of [...this.byAddress.keys()]) this.remove(a);
    await this.deps.transport.close();
  }

  private drop(verdict: Exclude<BfdVerdict, 'accepted'>, reason: string, d: BfdDatagram): BfdVerdict {
    this.deps.dropped?.(verdict);
    this.log.debug('BFD packet dropped', { verdict, reason, from: d.address });
    return verdict;
  }
}
