// Exponential backoff with a cap and optional jitter: one pure delay function and a small attempt counter around it.

export type Jitter = "full" | "equal" | "none";

export interface BackoffOptions {
  /** Ceiling of the first delay. */
  initialMs: number;
  /** Largest ceiling any delay may have. */
  maxMs: number;
  /** Growth per attempt; default 2. */
  factor?: number;
  /** full: random(0, d); equal: d/2 + random(0, d/2); none: d. Default full. */
  jitter?: Jitter;
}

/** Throws a RangeError naming the option when the options make no sense (call once, at construction). */
export function validateBackoff(options: BackoffOptions): void {
  const { initialMs, maxMs, factor = 2 } = options;
  if (!(initialMs > 0)) throw new RangeError(`backoff initialMs must be > 0, got ${initialMs}`);
  if (!(maxMs >= initialMs)) throw new RangeError(`backoff maxMs must be >= initialMs, got ${maxMs}`);
  if (!(factor >= 1)) throw new RangeError(`backoff factor must be >= 1, got ${factor}`);
}

/**
 * The delay (whole ms) before retry `attempt` (from 0): `min(maxMs, initialMs * factor^attempt)`, jittered.
 * `random` returns [0, 1); injectable so tests get a fixed schedule.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const { initialMs, maxMs, factor = 2, jitter = "full" } = options;
  // Capping the exponent keeps factor^attempt finite however long a retry loop runs.
  const ceiling = Math.min(maxMs, initialMs * factor ** Math.min(Math.max(attempt, 0), 64));
  const r = Math.min(Math.max(random(), 0), 1);
  if (jitter === "none") return Math.round(ceiling);
  if (jitter === "equal") return Math.round(ceiling / 2 + r * (ceiling / 2));
  return Math.round(r * ceiling);
}

/** Counts attempts for a retry loop: `next()` before each retry, `reset()` after a success. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {
    // Misconfiguration fails at construction, not at the first retry.
    validateBackoff(options);
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt; each call counts one attempt. */
  next(): number {
    return backoffDelay(this.attempt++, this.options, this.random);
  }

  /** Back to the first delay. */
  reset(): void {
    this.attempt = 0;
  }
}
