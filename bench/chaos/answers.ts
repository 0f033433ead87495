// What the client saw, second by second: the probe's rounds, the answers
// tcpdump recorded for them, and the client's neighbour entries. Pure: lines
// and samples in, per-round answerer sets out.

/** One answer to a probe: `mac` claimed `vip` at `at` (epoch ms). */
export interface Answer {
  at: number;
  vip: string;
  mac: string;
}

// tcpdump -l -n -tt -e, answers unicast to the probe MAC:
// 1700000000.123456 02:00:00:00:00:12 > 02:00:00:00:00:03, ethertype ARP (0x0806), length 42: Reply 192.0.2.100 is-at 02:00:00:00:00:12, length 28
// 1700000000.123456 02:00:00:00:00:12 > 02:00:00:00:00:03, ethertype IPv6 (0x86dd), length 86: 2001:db8::12 > 2001:db8::3: ICMP6, neighbor advertisement, tgt is 2001:db8::100, length 32
const ARP_REPLY = /^(\d+\.\d+) ([0-9a-f:]{17}) > [0-9a-f:]{17}, ethertype ARP .*: Reply (\S+) is-at ([0-9a-f:]{17})/i;
const NA = /^(\d+\.\d+) ([0-9a-f:]{17}) > [0-9a-f:]{17}, ethertype IPv6 .*ICMP6, neighbor advertisement, tgt is ([0-9a-f:.]+),/i;

/**
 * An ARP reply is attributed to the MAC it claims (is-at), an NA to the
 * frame's source (tcpdump shows its target link-layer option only with -v;
 * every responder here sends its own MAC in both).
 */
export function parseAnswer(line: string): Answer | undefined {
  const arp = ARP_REPLY.exec(line);
  if (arp) return { at: Number(arp[1]) * 1000, vip: arp[3]!, mac: arp[4]!.toLowerCase() };
  const na = NA.exec(line);
  if (na) return { at: Number(na[1]) * 1000, vip: na[3]!, mac: na[2]!.toLowerCase() };
  return undefined;
}

/** `ip -j neigh show dev eth0` -> VIP -> MAC for the entries that hold one (not INCOMPLETE or FAILED). */
export function parseNeighbours(json: string): Map<string, string> {
  const out = new Map<string, string>();
  const rows = JSON.parse(json || '[]') as Array<{ dst?: string; lladdr?: string; state?: string[] }>;
  for (const r of rows) {
    if (!r.dst || !r.lladdr) continue;
    if (r.state?.some((s) => s === 'FAILED' || s === 'INCOMPLETE')) continue;
    out.set(r.dst, r.lladdr.toLowerCase());
  }
  return out;
}

export interface Round {
  /** When the probe sent this round's requests (epoch ms). */
  at: number;
  /** VIP -> MACs that answered before the next round went out. */
  answers: Map<string, Set<string>>;
  /** VIP -> MAC in the client's neighbour table, sampled during this round (undefined: no sample). */
  neighbours: Map<string, string> | undefined;
}

/** Rounds in time order, answers and neighbour samples placed in the round they fall in. */
export class RoundBook {
  readonly rounds: Round[] = [];

  addRound(at: number): void {
    this.rounds.push({ at, answers: new Map(), neighbours: undefined });
  }

  private roundAt(at: number): Round | undefined {
    // Answers land in the last rounds; search from the end.
    for (let i = this.rounds.length - 1; i >= 0; i--) if (this.rounds[i]!.at <= at) return this.rounds[i];
    return undefined;
  }

  addAnswer(a: Answer): void {
    const r = this.roundAt(a.at);
    if (!r) return;
    let set = r.answers.get(a.vip);
    if (!set) r.answers.set(a.vip, (set = new Set()));
    set.add(a.mac);
  }

  addNeighbours(at: number, table: Map<string, string>): void {
    const r = this.roundAt(at);
    if (r && !r.neighbours) r.neighbours = table;
  }

  /** Rounds sent in [from, to). */
  between(from: number, to: number): Round[] {
    return this.rounds.filter((r) => r.at >= from && r.at < to);
  }

  /** The last `n` complete rounds (the newest is still collecting answers, so it is left out). */
  lastComplete(n: number): Round[] {
    return this.rounds.slice(Math.max(0, this.rounds.length - 1 - n), -1);
  }
}

/** The one MAC answering for `vip` in the round, if exactly one did. */
export function soleAnswerer(r: Round, vip: string): string | undefined {
  const s = r.answers.get(vip);
  return s && s.size === 1 ? [...s][0] : undefined;
}

/**
 * The neighbour table the client held during each round: its own sample, or
 * the last one before it when the sampler missed the round (a slow `ip` on a
 * loaded machine); the table only changes on the events this benchmark
 * watches, so the last sample is the best estimate.
 */
export function neighboursByRound(rounds: readonly Round[]): (Map<string, string> | undefined)[] {
  let last: Map<string, string> | undefined;
  return rounds.map((r) => (last = r.neighbours ?? last));
}

/**
 * Every VIP has exactly one answerer, and the client's entry points at it.
 * `allowSilent`: a VIP nobody answered in this round passes (a round that
 * keeps a settled state, where a late answer is counted as "no answer" on
 * its own and must not also undo the settling).
 */
export function roundSettled(r: Round, neighbours: Map<string, string> | undefined, vips: readonly string[], allowSilent = false): boolean {
  return vips.every((v) => {
    if (allowSilent && (r.answers.get(v)?.size ?? 0) === 0) return true;
    const mac = soleAnswerer(r, v);
    return mac !== undefined && neighbours !== undefined && neighbours.get(v) === mac;
  });
}
