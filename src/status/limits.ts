// What one status endpoint may spend on its clients, whoever they are: a
// request rate (rendering /status with 10,000 service IPs costs CPU the
// gossip probes need), the size of one answer, and the bytes held for
// clients that do not read what they asked for.
import type { Clock } from '../util/clock.js';

export interface StatusLimits {
  /** Sustained requests a second (GET /healthz is not counted: the kubelet's probes must never be refused). */
  readonly requestsPerSecond: number;
  /** Requests allowed at once above the sustained rate. */
  readonly burst: number;
  /** Largest answer; a larger one is refused with 503 and a hint (/status/ip/ADDRESS is small). */
  readonly maxResponseBytes: number;
  /** Answer bytes held at once for clients that have not read them yet; beyond it, 503. */
  readonly maxBufferedBytes: number;
  /** A client must send its request headers within this time. */
  readonly headersTimeoutMs: number;
  /** A connection with no traffic either way for this long is closed (a client that stopped reading included). */
  readonly idleTimeoutMs: number;
  /** Open connections at once; more are closed as they arrive. */
  readonly maxConnections: number;
}

export const DEFAULT_STATUS_LIMITS: StatusLimits = {
  requestsPerSecond: 20,
  burst: 40,
  maxResponseBytes: 32 * 1024 * 1024,
  maxBufferedBytes: 64 * 1024 * 1024,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  maxConnections: 1024,
};

/** Token bucket on an injected clock: `burst` tokens, refilled at `rate` a second. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: Clock,
    private readonly rate: number,
    private readonly burst: number,
  ) {
    if (!(rate > 0) || !(burst >= 1)) throw new Error(`token bucket: need rate > 0 and burst >= 1, got ${rate} and ${burst}`);
    this.tokens = burst;
    this.last = clock.now();
  }

  take(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Bytes of answers handed to sockets and not yet flushed to the kernel. */
export class ResponseBudget {
  private held = 0;

  constructor(private readonly max: number) {}

  get bytes(): number {
    return this.held;
  }

  /** Reserves `n` bytes; returns the release (idempotent), or undefined when they do not fit. */
  reserve(n: number): (() => void) | undefined {
    if (this.held + n > this.max) return undefined;
    this.held += n;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held -= n;
    };
  }
}
