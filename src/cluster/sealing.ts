// What a member does to every packet and stream on the way out and in:
// seal with the primary key and a time stamp, and on the way in check the
// version byte, the replay window (before decrypting: a flood of stale or
// repeated packets costs a lookup each, not an AES-GCM attempt) and the
// key. Without a key ring, plain packets pass and sealed ones are dropped.
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { SEALED_PACKET, UNSTAMPED_SEALED_PACKET } from './codec.js';
import type { ResolvedOptions } from './options.js';
import type { DropReason } from './counters.js';
import { SEAL_OVERHEAD, sealedHeader } from './keyring.js';
import { ReplayWindow } from './replay.js';

/** Stamps outside the window are logged at most this often: they can be forged at any rate. */
const SKEW_LOG_EVERY_MS = 60_000;

export class Sealing {
  private readonly replay: ReplayWindow | undefined;
  private skewLoggedAt = -Infinity;

  constructor(
    private readonly opts: Pick<ResolvedOptions, 'keyring' | 'acceptUnsealed' | 'replayWindowMs' | 'wallNow'>,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly drop: (reason: DropReason) => undefined,
  ) {
    this.replay = opts.keyring ? new ReplayWindow(opts.replayWindowMs) : undefined;
  }

  /** Bytes sealing adds to a packet. */
  get overhead(): number {
    return this.opts.keyring ? SEAL_OVERHEAD : 0;
  }

  /** Seals with the primary key and our wall clock's stamp, when sealing is on. */
  seal(plain: Buffer): Buffer {
    return this.opts.keyring ? this.opts.keyring.seal(plain, Math.floor(this.opts.wallNow())) : plain;
  }

  /** Returns the plain packet, or undefined after counting why it was dropped. */
  unseal(data: Buffer): Buffer | undefined {
    const keyring = this.opts.keyring;
    if (data[0] === SEALED_PACKET) {
      if (!keyring || !this.replay) return this.drop('sealed-without-key');
      const head = sealedHeader(data);
      if (!head) return this.drop('truncated');
      const now = Math.floor(this.opts.wallNow());
      const verdict = this.replay.check(head.sentAt, head.nonce, now);
      if (verdict !== 'fresh') {
        if (verdict !== 'replayed') this.noteSkew(head.sentAt - now);
        return this.drop(verdict);
      }
      const opened = keyring.open(data);
      if (!opened) return this.drop('decrypt-failed');
      this.replay.remember(head.sentAt, head.nonce, now);
      return opened.plain;
    }
    // An older version's sealed format, without the time stamp.
    if (data[0] === UNSTAMPED_SEALED_PACKET) return this.drop('bad-version');
    if (keyring && !this.opts.acceptUnsealed) return this.drop('unsealed');
    return data;
  }

  /** Sealed input stamped outside the window: a clock far off ours, or a replay. */
  private noteSkew(offsetMs: number): void {
    const now = this.clock.now();
    if (now - this.skewLoggedAt < SKEW_LOG_EVERY_MS) return;
    this.skewLoggedAt = now;
    this.log.warn('sealed gossip stamped outside the replay window was refused: a replay, or a member whose clock is off ours (check NTP)', {
      offsetMs,
      windowMs: this.opts.replayWindowMs,
    });
  }
}
