// Mirrors Claude Code's rate limits on what reaches it without keystrokes, so the adapter takes the next path
// instead of handing over a line Claude would throw away: plugin monitor events (brief §4.4: a bucket of 10,
// refilled 1 per 2 s) and cross-session inbox lines (2.1.330's ingress guard: a bucket of 30, refilled 0.5 per s).
// Excess is DROPPED by Claude, with nothing said to the writer.
import type { Clock } from "../../util/clock.ts";

export const MONITOR_BURST = 10;
export const MONITOR_REFILL_MS = 2_000;
export const INBOX_BURST = 30;
export const INBOX_REFILL_MS = 2_000;

export class EventBudget {
  // One token short of Claude's bucket: the monitor's 200 ms debounce can split what we count as one event.
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: Clock,
    private readonly burst: number,
    private readonly refillMs: number,
  ) {
    this.tokens = burst - 1;
    this.last = clock.now();
  }

  /** Spend one event if the bucket has one; false means "Claude would drop it now". */
  take(): boolean {
    const now = this.clock.now();
    const refill = Math.floor((now - this.last) / this.refillMs);
    if (refill > 0) {
      this.tokens = Math.min(this.burst - 1, this.tokens + refill);
      this.last += refill * this.refillMs;
    }
    if (this.tokens <= 0) return false;
    this.tokens--;
    return true;
  }
}

export class MonitorEventBudget extends EventBudget {
  constructor(clock: Clock) {
    super(clock, MONITOR_BURST, MONITOR_REFILL_MS);
  }
}

export class InboxLineBudget extends EventBudget {
  constructor(clock: Clock) {
    super(clock, INBOX_BURST, INBOX_REFILL_MS);
  }
}
