// A clock tests move by hand: timers fire in due order when `advance` passes them.
import type { Clock, TimerHandle } from "../../src/util/clock.ts";

interface Pending {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const p: Pending = { due: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.pending.push(p);
    return {
      cancel: () => {
        p.cancelled = true;
      },
    };
  }

  /** Number of timers still waiting. */
  get timerCount(): number {
    return this.pending.filter((p) => !p.cancelled).length;
  }

  /** Delay until the next live timer, or undefined when none is armed. */
  nextDelay(): number | undefined {
    const live = this.pending.filter((p) => !p.cancelled);
    if (live.length === 0) return undefined;
    return Math.min(...live.map((p) => p.due)) - this.t;
  }

  /** Move time forward, firing every timer that falls due (including ones armed while firing). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.pending = this.pending.filter((p) => !p.cancelled);
      this.pending.sort((a, b) => a.due - b.due || a.seq - b.seq);
      const next = this.pending[0];
      if (!next || next.due > end) break;
      this.pending.shift();
      this.t = Math.max(this.t, next.due);
      next.fn();
      // Let promise continuations queued by the timer run before the next one fires.
      await flushMicrotasks();
    }
    this.t = end;
    await flushMicrotasks();
  }
}

// On SQLite a store call is settled when it returns, so microtasks are enough; on PostgreSQL
// (RELAY_TEST_STORE=postgres) it is a round trip, so a fired timer's store work gets a little real time too.
const STORE_SETTLE_MS = process.env.RELAY_TEST_STORE === "postgres" ? 15 : 0;

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  if (STORE_SETTLE_MS > 0) await new Promise((r) => setTimeout(r, STORE_SETTLE_MS));
}
