// When the provider exits unexpectedly: restart after a growing delay, or give up on a crash loop.

/** The policy as data; defaults are the runner-behaviour numbers. */
export interface RestartPolicyLimits {
  /** More exits than this inside the window, by a run shorter than minRunMs, means give up. */
  maxExits: number;
  /** Exits older than this no longer count. */
  windowMs: number;
  /** A run at least this long never gives up, however many exits are in the window. */
  minRunMs: number;
  /** Delay per exit in the window. */
  baseDelayMs: number;
  minDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RESTART_LIMITS: Readonly<RestartPolicyLimits> = Object.freeze({
  maxExits: 3,
  windowMs: 120_000,
  minRunMs: 30_000,
  baseDelayMs: 500,
  minDelayMs: 500,
  maxDelayMs: 10_000,
});

export interface ProviderExit {
  /** When it exited (clock ms). */
  at: number;
  /** How long that provider process ran. */
  ranForMs: number;
}

export type RestartDecision =
  | { action: "restart"; delayMs: number; exitsInWindow: number }
  | { action: "give-up"; reason: string; exitsInWindow: number };

export class RestartPolicy {
  readonly limits: Readonly<RestartPolicyLimits>;
  private exits: number[] = [];

  constructor(limits: Partial<RestartPolicyLimits> = {}) {
    this.limits = Object.freeze({ ...DEFAULT_RESTART_LIMITS, ...limits });
  }

  /**
   * Records an exit and decides. The exit itself counts: the 4th quick exit within the window
   * (4 > maxExits 3) gives up; delays are min(max, max(min, base × exits)) → 0.5 s, 1 s, 1.5 s … 10 s.
   */
  recordExit(exit: ProviderExit): RestartDecision {
    const { maxExits, windowMs, minRunMs, baseDelayMs, minDelayMs, maxDelayMs } = this.limits;
    this.exits = this.exits.filter((t) => exit.at - t < windowMs);
    this.exits.push(exit.at);
    const exitsInWindow = this.exits.length;
    if (exit.ranForMs < minRunMs && exitsInWindow > maxExits) {
      return {
        action: "give-up",
        reason: `provider exited ${exitsInWindow} times in ${windowMs / 1000} s, the last after ${Math.round(exit.ranForMs)} ms`,
        exitsInWindow,
      };
    }
    const delayMs = Math.min(maxDelayMs, Math.max(minDelayMs, baseDelayMs * exitsInWindow));
    return { action: "restart", delayMs, exitsInWindow };
  }

  /** Exits still inside the window at `now`. */
  exitsInWindow(now: number): number {
    return this.exits.filter((t) => now - t < this.limits.windowMs).length;
  }

  reset(): void {
    this.exits = [];
  }
}
