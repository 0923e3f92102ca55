// The offline sweep: every `offlineSweepMs`, agents with no open session whose last heartbeat is over 3
// intervals old become offline.
import type { Clock, TimerHandle } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import type { Store } from "../store/index.ts";

export class OfflineSweep {
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly o: { store: Store; clock: Clock; logger: Logger; offlineSweepMs: number },
    /** The agents that hold an open session now. */
    private readonly connected: () => string[],
  ) {}

  start(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(async () => {
      try {
        await this.sweep();
      } catch (e) {
        this.o.logger.error({ err: e }, "offline sweep failed");
      }
      this.start();
    }, this.o.offlineSweepMs);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  async sweep(): Promise<string[]> {
    const marked = await this.o.store.agents.sweepOffline(this.connected(), this.o.clock.now());
    if (marked.length > 0) this.o.logger.info({ agents: marked }, "agents marked offline");
    return marked;
  }
}
