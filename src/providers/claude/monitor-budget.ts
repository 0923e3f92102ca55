// Mirrors Claude Code's rate limit on plugin monitor events (brief §4.4: a bucket of 10, refilled 1 per 2 s;
// excess events are DROPPED), so the adapter pastes instead of publishing a line Claude would throw away.
import type { Clock } from "../../util/clock.ts";

export const MONITOR_BURST = 10;
export const MONITOR_REFILL_MS = 2_000;

export class MonitorEventBudget {
  // One token short of Claude's bucket: its 200 ms debounce can split what we count as one event.
  private tokens = MONITOR_BURST - 1;
  private last: number;

  constructor(private readonly clock: Clock) {
    this.last = clock.now();
  }

  /** Spend one event if the bucket has one; false means "Claude would drop it now". */
  take(): boolean {
    const now = this.clock.now();
    const refill = Math.floor((now - this.last) / MONITOR_REFILL_MS);
    if (refill > 0) {
      this.tokens = Math.min(MONITOR_BURST - 1, this.tokens + refill);
      this.last += refill * MONITOR_REFILL_MS;
    }
    if (this.tokens <= 0) return false;
    this.tokens--;
    return true;
  }
}
