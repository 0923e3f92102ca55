// The lease sweep: renews the leases of every runner instance with an open bus session (its heartbeat keeps it
// alive), and deletes expired ones, every third of the lease TTL on the relay's clock.
import type { Clock, TimerHandle } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { LeaseStore } from "./store/types.ts";

export interface LeaseSweeperOptions {
  leases: LeaseStore;
  /** The agent instances holding an open bus session now. */
  connected: () => readonly { agentId: string; instanceId: string }[];
  ttlMs: number;
  clock: Clock;
  logger: Logger;
}

export class LeaseSweeper {
  private timer: TimerHandle | undefined;
  private stopped = false;
  /** The sweep in progress (never rejects), so stop() can wait for it before the store closes. */
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly o: LeaseSweeperOptions) {}

  start(): void {
    if (this.stopped) return;
    // A third of the TTL: a connected holder is renewed twice before its lease could lapse.
    this.timer = this.o.clock.setTimeout(
      () => {
        this.running = this.sweep().then(
          () => this.start(),
          (e) => {
            this.o.logger.error({ err: e }, "lease sweep failed");
            this.start();
          },
        );
      },
      Math.max(50, Math.floor(this.o.ttlMs / 3)),
    );
  }

  /** No more sweeps; resolves once a sweep in progress has finished. */
  stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    return this.running;
  }

  /** One sweep now: answers how many leases were renewed and how many expired. */
  async sweep(): Promise<{ renewed: number; expired: number }> {
    const now = this.o.clock.now();
    const renewed = await this.o.leases.renewHolders(this.o.connected(), now, this.o.ttlMs);
    const expired = await this.o.leases.deleteExpired(now);
    if (expired > 0) this.o.logger.info({ expired }, "leases expired");
    return { renewed, expired };
  }
}
