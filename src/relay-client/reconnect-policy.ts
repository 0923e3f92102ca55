// Jittered exponential backoff for bus reconnects: equal jitter, capped, reset after a successful welcome.

export interface BackoffOptions {
  /** Ceiling of the first delay (default 100 ms). */
  initialMs?: number;
  /** Largest ceiling any delay may have (default 10 s). */
  maxMs?: number;
  /** A number in [0, 1); injectable so tests get a fixed schedule. */
  random?: () => number;
}

/**
 * Attempt n (from 0) waits between half and all of `min(maxMs, initialMs * 2^n)`.
 * Equal jitter keeps a floor under every delay, so a relay that refuses at once is never hammered,
 * while the random half still spreads many runners that lost the same relay.
 */
export class ReconnectBackoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 100;
    this.maxMs = options.maxMs ?? 10_000;
    this.random = options.random ?? Math.random;
    if (!(this.initialMs > 0) || !(this.maxMs >= this.initialMs)) {
      throw new RangeError(
        `reconnect backoff needs 0 < initialMs <= maxMs (got ${this.initialMs}, ${this.maxMs})`,
      );
    }
  }

  /** Failed attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    // Cap the exponent so 2^n never overflows into Infinity on a relay that stays down for days.
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const half = ceiling / 2;
    return Math.round(half + this.random() * half);
  }

  reset(): void {
    this.attempt = 0;
  }
}
