// Runs an async job every N ms on a Clock, never two at once; stop() cancels the timer and aborts the running job.
import type { Clock, TimerHandle } from "../util/clock.ts";
import { RunnerError } from "../util/errors.ts";

export interface PeriodicOptions {
  clock: Clock;
  intervalMs: number;
  /** The job; its signal aborts on stop(). */
  job: (signal: AbortSignal) => Promise<void>;
  /** Errors thrown by the job (the schedule carries on). */
  onError: (error: unknown) => void;
  /** Also run once right at start(); default false (first run after one interval). */
  runAtStart?: boolean;
}

/**
 * Fixed-rate ticks: a tick that falls while the previous run is still going is skipped (counted in
 * `skippedTicks`), so a slow job never stacks up runs and the cadence does not drift.
 *   idle ──start──▶ running ──stop──▶ stopped
 */
export class Periodic {
  private state: "idle" | "running" | "stopped" = "idle";
  private timer: TimerHandle | undefined;
  private current: Promise<void> | undefined;
  private controller = new AbortController();
  private skipped = 0;
  private runs = 0;

  constructor(private readonly options: PeriodicOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${options.intervalMs}`);
  }

  get skippedTicks(): number {
    return this.skipped;
  }

  /** Runs started so far. */
  get runCount(): number {
    return this.runs;
  }

  get isRunningJob(): boolean {
    return this.current !== undefined;
  }

  start(): void {
    if (this.state !== "idle") return;
    this.state = "running";
    this.arm();
    if (this.options.runAtStart) void this.runNow();
  }

  /**
   * Runs the job now, unless a run is in progress, in which case it resolves when that run ends.
   * Use it to run early (e.g. the liveness check right after a token renewal).
   */
  runNow(): Promise<void> {
    if (this.state === "stopped") return Promise.resolve();
    if (this.current) return this.current;
    this.runs++;
    const run = (async () => {
      try {
        await this.options.job(this.controller.signal);
      } catch (error) {
        if (this.state !== "stopped") this.options.onError(error);
      } finally {
        this.current = undefined;
      }
    })();
    this.current = run;
    return run;
  }

  /** Cancels the timer and aborts the running job; resolves once that job has returned. */
  async stop(): Promise<void> {
    if (this.state === "stopped") return this.current;
    this.state = "stopped";
    this.timer?.cancel();
    this.timer = undefined;
    this.controller.abort(new RunnerError("ABORTED", "periodic job stopped"));
    await this.current;
  }

  private arm(): void {
    this.timer = this.options.clock.setTimeout(() => {
      if (this.state !== "running") return;
      this.arm();
      if (this.current) this.skipped++;
      else void this.runNow();
    }, this.options.intervalMs);
  }
}
