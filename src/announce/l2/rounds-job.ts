// Gratuitous rounds as a job for the frame pacer (frame-pacer.ts): a round
// is one address's frames on one interface, written when each frame's turn
// comes (gratuitous-frames.ts), so a takeover of 50,000 addresses queues a
// cursor, not 50,000 rounds of frames.

import type { PacedJob, SendOutcome } from './frame-pacer.js';
import { ROUND_FRAMES } from './gratuitous-frames.js';
import type { L2Protocol } from './verdict.js';

/** One gratuitous round for one address on one interface: ROUND_FRAMES[protocol] frames, written as they leave. */
export interface Round {
  ip: string;
  name: string;
  protocol: L2Protocol;
}

/** How a paced round's frames leave, and who is told. */
export interface RoundIo {
  /** Writes frame `index` of r and sends it. */
  send(r: Round, index: number): SendOutcome;
  /** A frame of r the kernel kept refusing was given up. */
  dropped(r: Round): void;
  /** r's last frame was handed to send (or given up); `sent` of its frames went out. */
  finished(r: Round, sent: number): void;
}

/**
 * A paced sequence of rounds: next() gives the following one (undefined
 * when there is none for now); drained() is told when next() came back empty.
 */
export class RoundsJob implements PacedJob {
  private round: Round | undefined;
  private frame = 0;
  private sent = 0;

  constructor(
    private readonly next: () => Round | undefined,
    private readonly io: RoundIo,
    private readonly drained: () => void = () => {},
  ) {}

  sendNext(giveUp: boolean): SendOutcome | 'done' {
    while (!this.round || this.frame >= ROUND_FRAMES[this.round.protocol]) {
      if (this.round) this.io.finished(this.round, this.sent);
      this.round = this.next();
      this.frame = 0;
      this.sent = 0;
      if (!this.round) {
        this.drained();
        return 'done';
      }
    }
    if (giveUp) {
      this.frame++;
      this.io.dropped(this.round);
      return 'failed';
    }
    const outcome = this.io.send(this.round, this.frame);
    if (outcome !== 'refused') this.frame++;
    if (outcome === 'sent') this.sent++;
    return outcome;
  }
}
