// Several relays on one database: a token revoked through another relay is refused here too, within a wake-up.
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { WakeUps } from "./replica-wake-ups.ts";
import type { RevocationFeed } from "./store/types.ts";

export interface ReplicaRevocationsOptions {
  feed: RevocationFeed;
  clock: Clock;
  logger: Logger;
  /** A re-read every this often whatever the notifications do (they may be lost); default 1 s. */
  pollMs?: number;
}

/**
 * Re-reads the revocations into the store's mirror on `NOTIFY relay_revocations`, on the fallback timer and when the
 * listening (re)starts. Only the mirror: sessions opened with a token revoked elsewhere keep running until they
 * reconnect (the relay that revoked it ends its own), as a renewed token's sessions do.
 */
export class ReplicaRevocations {
  private readonly wakeUps: WakeUps;
  private chain: Promise<void> = Promise.resolve();
  private queued = false;

  constructor(private readonly o: ReplicaRevocationsOptions) {
    this.wakeUps = new WakeUps({ ...o, pollMs: o.pollMs ?? 1_000, onTick: () => this.wake() });
  }

  start(): Promise<void> {
    return this.wakeUps.start(() => this.o.feed.listenForRevocations(() => this.wake()));
  }

  async stop(): Promise<void> {
    await this.wakeUps.stop();
    await this.chain;
  }

  /** Re-read after whatever read is in flight; wake-ups while one is queued coalesce. */
  private wake(): void {
    if (!this.wakeUps.following || this.queued) return;
    this.queued = true;
    this.chain = this.chain
      .then(() => {
        this.queued = false;
        return this.o.feed.refreshRevocations();
      })
      .catch((e) => this.o.logger.warn({ err: e }, "could not re-read the revocations"));
  }
}
