// Reads a terminal program's state from its screen: ready after start-up, busy while output changes after input, idle again.
//
// Screen scraping is the fallback for programs that give no better signal, so the rules are deliberately simple:
// - ready (start-up): the ready pattern matches; without a pattern, the screen has not changed for `quietMs`.
// - a turn starts when the screen differs from how it looked before the delivery (the program reacted);
// - a turn completes when the ready pattern matches again or the screen has been still for `quietMs`;
// - a delivery the program never visibly reacts to is dropped after `pendingTimeoutMs` without a turn.

/** Prepare a pattern for repeated `test` calls: a `g` or `y` flag would make it remember where it last matched. */
export function toStatelessPattern(pattern: RegExp | string): RegExp {
  if (typeof pattern === "string") return new RegExp(pattern);
  return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ""));
}

/** The text a ready pattern sees: the screen without its trailing blank rows, so `$` ends the last visible line. */
export function screenForMatching(screen: string): string {
  return screen.replace(/(?:\n[ \t]*)+$/, "");
}

/** The last `lines` non-blank rows, for error messages and logs. */
export function screenTail(screen: string, lines = 12): string {
  return screen
    .split("\n")
    .filter((line) => line.trim() !== "")
    .slice(-lines)
    .join("\n");
}

export interface ReadyOptions {
  quietMs: number;
  readyPattern?: RegExp;
  startedAt: number;
}

/** Decides when a freshly started program is ready for input. */
export class ReadyDetector {
  private lastScreen = "";
  private lastChangeAt: number;

  constructor(private readonly o: ReadyOptions) {
    this.lastChangeAt = o.startedAt;
  }

  observe(screen: string, now: number): boolean {
    if (this.o.readyPattern) return this.o.readyPattern.test(screenForMatching(screen));
    if (screen !== this.lastScreen) {
      this.lastScreen = screen;
      this.lastChangeAt = now;
    }
    return now - this.lastChangeAt >= this.o.quietMs;
  }
}

export type TurnPhase = "idle" | "pending" | "active";
export type TurnSignal = "turn.started" | "turn.completed";

export interface TurnOptions {
  quietMs: number;
  readyPattern?: RegExp;
  /** How long to wait for any visible reaction to a delivery before giving up on it. */
  pendingTimeoutMs: number;
}

/** Turns screen snapshots taken after deliveries into turn.started / turn.completed signals. */
export class TurnTracker {
  private _phase: TurnPhase = "idle";
  private baseline = "";
  private lastScreen = "";
  private since = 0;
  private lastChangeAt = 0;

  constructor(private readonly o: TurnOptions) {}

  get phase(): TurnPhase {
    return this._phase;
  }

  /** Input was submitted; `screenBefore` is how the screen looked before it was pasted. */
  delivered(screenBefore: string, now: number): void {
    if (this._phase === "active") {
      // More input during a turn keeps the same turn going; restart its quiet period.
      this.lastChangeAt = now;
      return;
    }
    if (this._phase === "idle") this.baseline = screenBefore;
    this._phase = "pending";
    this.since = now;
  }

  observe(screen: string, now: number): TurnSignal[] {
    if (this._phase === "idle") return [];
    const signals: TurnSignal[] = [];
    if (this._phase === "pending") {
      if (screen === this.baseline) {
        if (now - this.since >= this.o.pendingTimeoutMs) this._phase = "idle";
        return [];
      }
      this._phase = "active";
      this.lastScreen = screen;
      this.lastChangeAt = now;
      signals.push("turn.started");
    } else if (screen !== this.lastScreen) {
      this.lastScreen = screen;
      this.lastChangeAt = now;
    }
    const prompted = this.o.readyPattern?.test(screenForMatching(screen)) ?? false;
    if (prompted || now - this.lastChangeAt >= this.o.quietMs) {
      this._phase = "idle";
      signals.push("turn.completed");
    }
    return signals;
  }

  /** Forget any turn in progress (the program exited or was restarted). */
  reset(): void {
    this._phase = "idle";
  }
}
