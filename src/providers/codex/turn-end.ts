// Callers waiting (bounded) for the Codex turn to end, released together when it does.
import type { Clock } from "../../util/clock.ts";
import { RunnerError } from "../../util/errors.ts";

export class TurnEndWaiters {
  private readonly waiters = new Set<() => void>();

  constructor(private readonly clock: Clock) {}

  /** Resolves when the turn ends or after `timeoutMs`; rejects (ABORTED) when `signal` aborts first. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        timer.cancel();
        this.waiters.delete(done);
        signal?.removeEventListener("abort", done);
        if (signal?.aborted) reject(new RunnerError("ABORTED", "waiting for the turn to end was aborted"));
        else resolve();
      };
      const timer = this.clock.setTimeout(done, timeoutMs);
      this.waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** The turn ended: release everyone waiting. */
  release(): void {
    for (const w of [...this.waiters]) w();
  }
}
