// The offline sweep: every `offlineSweepMs`, agents with no open session whose last heartbeat is over 3
// intervals old become offline.
import type { Clock, TimerHandle } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import type { Store } from "../store/index.ts";

export class OfflineSweep {
  private timer: TimerHandle | undefined;
  private stopped = false;
  /** The sweep in progress (never rejects), so stop() can wait for it before the store closes. */
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly o: { store: Store; clock: Clock; logger: Logger; offlineSweepMs: number },
    /** The agents that hold an open session now. */
    private readonly connected: () => string[],
  ) {}

  start(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.running = this.sweep().then(
        () => this.start(),
        (e) => {
          this.o.logger.error({ err: e }, "offline sweep failed");
          this.start();
        },
      );
    }, this.o.offlineSweepMs);
  }

  /** No more sweeps; resolves once a sweep in progress has finished. */
  stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    return this.running;
  }

  async sweep(): Promise<string[]> {
    const marked = await this.o.store.agents.sweepOffline(this.connected(), this.o.clock.now());
    if (marked.length > 0) this.o.logger.info({ agents: marked }, "agents marked offline");
    return marked;
  }
}
