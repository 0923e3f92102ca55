// Token buckets per key (an agent id) on the injectable clock: `burst` requests at once, then `ratePerSecond`.
import type { Clock } from "../util/clock.ts";

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly clock: Clock,
    private readonly ratePerSecond: number,
    private readonly burst: number,
    /** Keys remembered at most; a forgotten key starts again with a full bucket. */
    private readonly maxKeys = 10_000,
  ) {}

  /** Take one token for `key`: 0 when there was one, else how many ms until there will be (nothing taken). */
  take(key: string): number {
    if (this.ratePerSecond <= 0) return 0;
    const now = this.clock.now();
    let b = this.buckets.get(key);
    if (b) {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.ratePerSecond) / 1000);
      b.at = now;
    } else {
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) * 1000) / this.ratePerSecond);
  }
}
