// A token bucket on the protocol clock: `ratePerSec` tokens a second, at
// most `burst` saved up. Bounds how fast untrusted input may change state.

export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    now: number,
  ) {
    if (!(ratePerSec >= 0) || !(burst >= 0)) throw new Error(`token bucket: rate ${ratePerSec} and burst ${burst} must be >= 0`);
    this.tokens = burst;
    this.at = now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.ratePerSec);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
