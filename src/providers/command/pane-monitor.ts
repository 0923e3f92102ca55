// Watches one running pane: its screen while a turn is pending or active, its liveness always, cheaply.
import type { Logger } from "pino";
import type { Clock, TimerHandle } from "../../util/clock.ts";
import { errorMessage } from "../../util/errors.ts";
import type { PaneExit, Tmux } from "../tmux/index.ts";
import type { TurnSignal, TurnTracker } from "./status.ts";

export interface PaneMonitorOptions {
  tmux: Tmux;
  paneId: string;
  tracker: TurnTracker;
  clock: Clock;
  logger: Logger;
  /** Poll interval while a turn is pending or active: one tmux call reads screen and status together. */
  activePollMs: number;
  /** Poll interval while idle: one tmux call reads the status only. */
  idlePollMs: number;
  onTurn: (signal: TurnSignal) => void;
  /** Called once, when the pane's program has ended (or the pane vanished). */
  onExit: (exit: PaneExit) => void;
}

export class PaneMonitor {
  private stopped = false;
  private timer: TimerHandle | undefined;
  private wakeNow: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private failures = 0;
  private wakePending = false;

  constructor(private readonly o: PaneMonitorOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Poll right away (a delivery just happened) instead of finishing an idle wait. */
  wake(): void {
    if (this.wakeNow) this.wakeNow();
    else this.wakePending = true;
  }

  /** Stop polling; resolves when the loop has finished its current poll. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.pause(this.o.tracker.phase === "idle" ? this.o.idlePollMs : this.o.activePollMs);
      if (this.stopped) return;
      try {
        const exit = await this.poll();
        this.failures = 0;
        if (exit) {
          // An exit seen after stop() belongs to the shutdown that asked for it, not to the monitor.
          const wasStopped = this.stopped;
          this.stopped = true;
          if (!wasStopped) this.o.onExit(exit);
          return;
        }
      } catch (e) {
        // A slow or failing tmux call is logged once per streak; the next poll tries again.
        if (this.failures++ === 0) this.o.logger.warn({ err: errorMessage(e) }, "pane poll failed");
      }
    }
  }

  private async poll(): Promise<PaneExit | undefined> {
    const { tmux, paneId, tracker, clock } = this.o;
    if (tracker.phase === "idle") {
      const status = await tmux.paneStatus(paneId);
      return status.state === "running" ? undefined : await this.settle(status);
    }
    const { screen, status } = await tmux.snapshot(paneId);
    if (status.state !== "running") return this.settle(status);
    for (const signal of tracker.observe(screen, clock.now())) this.o.onTurn(signal);
    return undefined;
  }

  // A pane can read dead a moment before tmux has its exit status; wait briefly for the status.
  private async settle(status: PaneExit): Promise<PaneExit> {
    if (status.state === "dead" && status.exitCode === null && status.signal === null) {
      return this.o.tmux.waitForExit(this.o.paneId, { clock: this.o.clock, intervalMs: 50 });
    }
    return status;
  }

  private pause(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        this.timer?.cancel();
        this.wakeNow = undefined;
        resolve();
      };
      this.wakeNow = done;
      this.timer = this.o.clock.setTimeout(done, ms);
    });
  }
}
