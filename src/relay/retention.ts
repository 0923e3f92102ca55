// The retention timer: every `retentionSweepMs` it deletes messages past their retention and attachments no
// message uses (see RetentionStore), on the relay's clock.
import type { Clock, TimerHandle } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { RelayQuotas } from "./quotas.ts";
import type { MessageWriter } from "./store/message-writer.ts";
import type { RetentionResult, RetentionStore } from "./store/types.ts";

export class RetentionSweeper {
  private timer: TimerHandle | undefined;
  private stopped = false;
  /** The sweep in progress (never rejects), so stop() can wait for it before the store closes. */
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly o: {
      retention: RetentionStore;
      writer: MessageWriter;
      quotas: RelayQuotas;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  start(): void {
    this.arm();
  }

  /** No more sweeps; resolves once a sweep in progress has finished. */
  stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    return this.running;
  }

  /** One sweep now. */
  async sweep(): Promise<RetentionResult> {
    const { quotas: q, clock } = this.o;
    const now = clock.now();
    // Messages waiting in the group commit have resolved their attachments already: store them first, so
    // their attachments count as referenced.
    await this.o.writer.flushNow();
    return await this.o.retention.sweep({
      readBefore: q.retainReadMs > 0 ? now - q.retainReadMs : undefined,
      allBefore: q.retainMs > 0 ? now - q.retainMs : undefined,
      orphanBefore: now - q.attachmentGraceMs,
    });
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.running = this.sweep().then(
        (removed) => {
          if (removed.messages + removed.attachments > 0)
            this.o.logger.info(removed, "retention: deleted old data");
          this.arm();
        },
        (e) => {
          this.o.logger.error({ err: e }, "retention sweep failed");
          this.arm();
        },
      );
    }, this.o.quotas.retentionSweepMs);
  }
}
