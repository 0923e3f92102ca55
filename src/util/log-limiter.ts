// Log a repeating problem once, then at most once per interval with a count, so a hostile peer cannot flood logs.
import type { Clock } from "./clock.ts";

export class LogLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs = 60_000,
    /** Kinds remembered at most; beyond it the oldest is forgotten (keys may come from the peer). */
    private readonly maxKinds = 64,
  ) {}

  /** Returns how many were suppressed since the last time (≥ 0) when this one should be logged, else undefined. */
  shouldLog(kind: string): number | undefined {
    const now = this.clock.now();
    const seen = this.last.get(kind);
    if (seen === undefined) {
      if (this.last.size >= this.maxKinds) {
        const oldest = this.last.keys().next().value;
        if (oldest !== undefined) this.last.delete(oldest);
      }
      this.last.set(kind, { at: now, suppressed: 0 });
      return 0;
    }
    if (now - seen.at >= this.intervalMs) {
      const suppressed = seen.suppressed;
      seen.at = now;
      seen.suppressed = 0;
      return suppressed;
    }
    seen.suppressed++;
    return undefined;
  }

  /** Forget a kind, so its next occurrence is logged again (e.g. auth errors after a successful welcome). */
  forget(kind: string): void {
    this.last.delete(kind);
  }
}

/** A failure that repeats until it recovers: logged when it starts and when it ends, not at each retry between. */
export class FailureEpisode {
  private failing = false;

  /** Count a failure; true only for the first one since the last recovery (log it then). */
  fail(): boolean {
    if (this.failing) return false;
    this.failing = true;
    return true;
  }

  /** Count a success; true only when it ends a run of failures (log the recovery then). */
  recover(): boolean {
    const was = this.failing;
    this.failing = false;
    return was;
  }
}
