// The replay window of sealed packets. A sealed packet carries the time it
// was sealed (authenticated, keyring.ts) and a random nonce. A receiver takes
// it only if that time is within `windowMs` of its own clock and it has not
// seen the nonce before; nonces are remembered for as long as their packet
// could still be inside the window, so a captured packet is refused both
// later (too old) and at once (replayed).
//
// Memory is bounded: nonces are kept in one-second buckets, dropped as the
// window passes them; past `maxEntries` the oldest bucket goes early and
// the window's lower edge moves up with it, so what was forgotten is refused
// as too old rather than taken again.

export type ReplayVerdict = 'fresh' | 'too-old' | 'too-new' | 'replayed';

const BUCKET_MS = 1000;

export class ReplayWindow {
  private readonly buckets = new Map<number, Set<string>>();
  private entries = 0;
  /** Stamps below this were forgotten early (overflow) and are refused. */
  private floor = -Infinity;
  private lastExpiry = -Infinity;

  constructor(
    readonly windowMs: number,
    private readonly maxEntries = 100_000,
  ) {
    if (!(windowMs > 0)) throw new Error(`replay window must be positive, got ${windowMs}`);
    if (!(maxEntries >= 1)) throw new Error(`replay window needs room for at least one nonce, got ${maxEntries}`);
  }

  get size(): number {
    return this.entries;
  }

  /** The cheap verdict, before decryption: time stamp and known nonces. */
  check(sentAt: number, nonce: Uint8Array, now: number): ReplayVerdict {
    if (sentAt < now - this.windowMs || sentAt < this.floor) return 'too-old';
    if (sentAt > now + this.windowMs) return 'too-new';
    return this.buckets.get(Math.floor(sentAt / BUCKET_MS))?.has(nonceKey(nonce)) ? 'replayed' : 'fresh';
  }

  /** Remembers the nonce of a packet that opened, until it leaves the window. */
  remember(sentAt: number, nonce: Uint8Array, now: number): void {
    this.expire(now);
    const b = Math.floor(sentAt / BUCKET_MS);
    let set = this.buckets.get(b);
    if (!set) {
      set = new Set();
      this.buckets.set(b, set);
    }
    const before = set.size;
    set.add(nonceKey(nonce));
    this.entries += set.size - before;
    while (this.entries > this.maxEntries) this.dropOldest();
  }

  private expire(now: number): void {
    if (now - this.lastExpiry < BUCKET_MS) return;
    this.lastExpiry = now;
    for (const [b, set] of this.buckets) {
      if ((b + 1) * BUCKET_MS <= now - this.windowMs) {
        this.entries -= set.size;
        this.buckets.delete(b);
      }
    }
  }

  private dropOldest(): void {
    let oldest = Infinity;
    for (const b of this.buckets.keys()) oldest = Math.min(oldest, b);
    const set = this.buckets.get(oldest);
    if (!set) return;
    this.entries -= set.size;
    this.buckets.delete(oldest);
    this.floor = Math.max(this.floor, (oldest + 1) * BUCKET_MS);
  }
}

function nonceKey(nonce: Uint8Array): string {
  return Buffer.from(nonce.buffer, nonce.byteOffset, nonce.length).toString('latin1');
}
