// The OPEN this speaker sends, and the checks and negotiation applied to
// the peer's OPEN (RFC 4271 6.2, RFC 4760, RFC 5492, RFC 6286, RFC 6793).

import { parseIP, type Family } from '../../net/index.js';
import { decoded } from '../../util/decoded.js';
import { capabilitiesOf, type OpenMessage } from '../messages/open.js';
import type { Capability, GracefulRestartCapability } from '../messages/capabilities.js';
import { GR_FORWARDING_PRESERVED, GR_NOTIFICATION, GR_RESTARTING } from '../messages/capabilities.js';
import { AS_TRANS, BGP_VERSION } from '../messages/constants.js';
import { afiOf, familyOfAfi } from '../messages/mp-nlri.js';
import { ErrorCode, OpenSubcode } from '../messages/notification-codes.js';
import { u16Data, wireRefusal, type WireDecoded } from '../messages/wire-error.js';
import type { ResolvedPeerOptions } from '../options.js';
import { keepaliveIntervalMs, negotiateHoldTime } from './timers.js';

export interface Negotiated {
  readonly peerAsn: number;
  readonly peerRouterId: string;
  readonly ibgp: boolean;
  readonly holdTimeSeconds: number;
  /** 0 when the hold time is 0. */
  readonly keepaliveMs: number;
  readonly fourOctetAs: boolean;
  /** Families both sides offered; IPv4 alone when the peer sent no multiprotocol capability (RFC 4760 8). */
  readonly families: readonly Family[];
  readonly routeRefresh: boolean;
  /** The peer's graceful restart capability, if it sent one. */
  readonly peerGracefulRestart?: GracefulRestartCapability;
  readonly peerCapabilities: readonly Capability[];
}

/**
 * The OPEN this side sends. `restarting` sets graceful restart's Restart
 * State bit (RFC 4724 3): this process has just started, and the peer may
 * still hold this node's routes, stale, from the process before it.
 */
export function buildOpen(p: ResolvedPeerOptions, restarting = false): OpenMessage {
  const caps: Capability[] = p.families.map((f) => ({ kind: 'multiprotocol', afi: afiOf(f), safi: 1 }));
  caps.push({ kind: 'route-refresh' }, { kind: 'four-octet-as', asn: p.localAsn });
  if (p.gracefulRestart) {
    // The nodes keep forwarding to the service while the speaker restarts: F set for every family.
    caps.push({
      kind: 'graceful-restart',
      flags: GR_NOTIFICATION | (restarting ? GR_RESTARTING : 0),
      restartTime: p.gracefulRestart.restartTimeSeconds,
      families: p.families.map((f) => ({ afi: afiOf(f), safi: 1, flags: GR_FORWARDING_PRESERVED })),
    });
  }
  return {
    type: 'open',
    version: BGP_VERSION,
    myAs: p.localAsn > 0xffff ? AS_TRANS : p.localAsn,
    holdTime: p.holdTimeSeconds,
    bgpId: p.routerId,
    parameters: [{ capabilities: caps }],
  };
}

function idValue(id: string): number {
  const ip = parseIP(id);
  return ip?.family === 4 ? Number(ip.value) : 0;
}

/** Decodes the peer's OPEN into the session's parameters, checked against what this side expects; the error is the NOTIFICATION to send. */
export function negotiate(p: ResolvedPeerOptions, open: OpenMessage): WireDecoded<Negotiated> {
  const E = ErrorCode.OPEN_MESSAGE;
  if (open.version !== BGP_VERSION) {
    // RFC 4271 6.2: the data is the largest version this side supports.
    return wireRefusal(E, OpenSubcode.UNSUPPORTED_VERSION, `peer speaks BGP version ${open.version}`, u16Data(BGP_VERSION));
  }
  const caps = capabilitiesOf(open);
  const as4 = caps.find((c) => c.kind === 'four-octet-as');
  const peerAsn = as4 ? as4.asn : open.myAs;
  if (as4 && open.myAs !== AS_TRANS && open.myAs !== as4.asn) {
    return wireRefusal(E, OpenSubcode.BAD_PEER_AS, `My AS ${open.myAs} contradicts the four-octet AS capability ${as4.asn}`);
  }
  if (p.peerAsn !== undefined && peerAsn !== p.peerAsn) {
    return wireRefusal(E, OpenSubcode.BAD_PEER_AS, `peer AS ${peerAsn}, expected ${p.peerAsn}`);
  }
  if (p.dynamicAsn === 'internal' && peerAsn !== p.localAsn) {
    return wireRefusal(E, OpenSubcode.BAD_PEER_AS, `peer AS ${peerAsn} is not internal (${p.localAsn})`);
  }
  if (p.dynamicAsn === 'external' && peerAsn === p.localAsn) {
    return wireRefusal(E, OpenSubcode.BAD_PEER_AS, `peer AS ${peerAsn} is not external`);
  }
  const ibgp = peerAsn === p.localAsn;
  const hold = negotiateHoldTime(p.holdTimeSeconds, open.holdTime);
  if (hold === undefined) return wireRefusal(E, OpenSubcode.UNACCEPTABLE_HOLD_TIME, `peer hold time ${open.holdTime} s is not 0 or at least 3`);
  // RFC 6286 2.2: any non-zero identifier, but two speakers of one AS must differ.
  if (idValue(open.bgpId) === 0) return wireRefusal(E, OpenSubcode.BAD_BGP_IDENTIFIER, 'peer BGP identifier is 0.0.0.0');
  if (ibgp && open.bgpId === p.routerId) return wireRefusal(E, OpenSubcode.BAD_BGP_IDENTIFIER, `peer BGP identifier ${open.bgpId} equals ours`);
  const mp = caps.filter((c) => c.kind === 'multiprotocol');
  const peerFamilies = mp.length === 0 ? new Set<Family>([4]) : new Set(mp.map((c) => familyOfAfi(c.afi, c.safi)).filter((f): f is Family => f !== undefined));
  const gr = caps.find((c) => c.kind === 'graceful-restart');
  return decoded({
    peerAsn,
    peerRouterId: open.bgpId,
    ibgp,
    holdTimeSeconds: hold,
    keepaliveMs: keepaliveIntervalMs(hold, p.keepaliveTimeSeconds),
    fourOctetAs: as4 !== undefined,
    families: p.families.filter((f) => peerFamilies.has(f)),
    routeRefresh: caps.some((c) => c.kind === 'route-refresh' || (c.kind === 'unknown' && c.code === 128)),
    ...(gr ? { peerGracefulRestart: gr } : {}),
    peerCapabilities: caps,
  });
}

/**
 * RFC 4271 6.8 with RFC 6286 2.3: when two connections to one peer collide,
 * the speaker with the higher BGP identifier keeps the connection it
 * initiated; on equal identifiers the higher AS number decides.
 * Returns which connection survives.
 */
export function collisionWinner(local: { routerId: string; asn: number }, remote: { routerId: string; asn: number }): 'locally-initiated' | 'remotely-initiated' {
  const l = idValue(local.routerId);
  const r = idValue(remote.routerId);
  if (l !== r) return l > r ? 'locally-initiated' : 'remotely-initiated';
  return local.asn > remote.asn ? 'locally-initiated' : 'remotely-initiated';
}
