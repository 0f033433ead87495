// Lifeguard local health awareness (LHA): a member that misses its own acks
// or nacks is probably the slow one, so it raises its score and stretches
// its probe interval and timeout instead of accusing healthy peers.

export class Awareness {
  private current = 0;

  /** @param max scores run 0..max-1; 1 disables awareness (always 0). */
  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`awareness max must be an integer >= 1, got ${max}`);
  }

  get score(): number {
    return this.current;
  }

  applyDelta(delta: number): number {
    this.current = Math.min(this.max - 1, Math.max(0, this.current + delta));
    return this.current;
  }
}
