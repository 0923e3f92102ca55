// Delivery confirmation: a message written into the provider must be seen by the model within a deadline,
// or it is reported `ambiguous` — and never silently re-sent, which could make a duplicate turn. The one
// exception: the provider exited first (then the queue re-delivers it and its wait here is cancelled).
import type { Clock, TimerHandle } from "../util/clock.ts";

export const CONFIRM_DEADLINE_MS = 30_000;
const MAX_REPORTED = 50;

export interface ConfirmationTrackerOptions {
  clock: Clock;
  deadlineMs?: number;
  onConfirmed: (messageId: number) => void;
  onAmbiguous: (messageId: number) => void;
}

export class ConfirmationTracker {
  private readonly waiting = new Map<number, TimerHandle>();
  /** Recent ambiguous ids, newest last (published in status meta). */
  readonly ambiguous: number[] = [];

  constructor(private readonly o: ConfirmationTrackerOptions) {}

  /** The message was written but not yet confirmed: start its deadline. */
  written(messageId: number): void {
    if (messageId <= 0 || this.waiting.has(messageId)) return;
    const timer = this.o.clock.setTimeout(() => {
      this.waiting.delete(messageId);
      this.ambiguous.push(messageId);
      if (this.ambiguous.length > MAX_REPORTED) this.ambiguous.shift();
      this.o.onAmbiguous(messageId);
    }, this.o.deadlineMs ?? CONFIRM_DEADLINE_MS);
    this.waiting.set(messageId, timer);
  }

  /** The provider showed the model saw it (possibly after the deadline: then it leaves the ambiguous list). */
  confirmed(messageId: number): void {
    const timer = this.waiting.get(messageId);
    if (timer) {
      timer.cancel();
      this.waiting.delete(messageId);
      this.o.onConfirmed(messageId);
      return;
    }
    const i = this.ambiguous.indexOf(messageId);
    if (i >= 0) {
      this.ambiguous.splice(i, 1);
      this.o.onConfirmed(messageId);
    }
  }

  /** Stop waiting for these (they will be delivered again): no ambiguous report for them. */
  cancel(messageIds: readonly number[]): void {
    for (const id of messageIds) {
      this.waiting.get(id)?.cancel();
      this.waiting.delete(id);
    }
  }

  get pending(): number[] {
    return [...this.waiting.keys()];
  }

  stop(): void {
    for (const t of this.waiting.values()) t.cancel();
    this.waiting.clear();
  }
}
