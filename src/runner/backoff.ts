// Exponential backoff with full, equal or no jitter; the random source is injectable so tests get fixed delays.

export type Jitter = "full" | "equal" | "none";

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Growth per attempt; default 2. */
  factor?: number;
  /** full: random(0, d); equal: d/2 + random(0, d/2); none: d. Default full. */
  jitter?: Jitter;
  /** Returns [0, 1); default Math.random. */
  random?: () => number;
}

export class ExponentialBackoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: Jitter;
  private readonly random: () => number;

  constructor(options: BackoffOptions) {
    const { initialMs, maxMs, factor = 2, jitter = "full", random = Math.random } = options;
    // Misconfiguration fails at construction, not at the first retry.
    if (!(initialMs > 0)) throw new RangeError(`backoff initialMs must be > 0, got ${initialMs}`);
    if (!(maxMs >= initialMs)) throw new RangeError(`backoff maxMs must be >= initialMs, got ${maxMs}`);
    if (!(factor >= 1)) throw new RangeError(`backoff factor must be >= 1, got ${factor}`);
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.factor = factor;
    this.jitter = jitter;
    this.random = random;
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt; each call counts one attempt. */
  next(): number {
    // Capping the exponent keeps factor^attempt finite however long a retry loop runs.
    const ceiling = Math.min(this.maxMs, this.initialMs * this.factor ** Math.min(this.attempt, 64));
    this.attempt++;
    const r = Math.min(Math.max(this.random(), 0), 1);
    if (this.jitter === "none") return ceiling;
    if (this.jitter === "equal") return ceiling / 2 + r * (ceiling / 2);
    return r * ceiling;
  }

  /** Back to the first delay (call after a success). */
  reset(): void {
    this.attempt = 0;
  }
}
