// After a delivery: complete the claims not held for a task, mark the batch read, and retry what failed later.
import type { Logger } from "pino";
import type { Message } from "../protocol/index.ts";
import { errorMessage } from "../util/errors.ts";
import { FailureEpisode } from "../util/log-limiter.ts";
import type { RelayApi } from "./ports.ts";

const MAX_UNSETTLED = 20_000;

export type Ready = {
  message: Message;
  claimed: boolean;
  taskId: number | undefined;
  /** The task's time limit, learned when it was started. */
  timeLimitSeconds?: number | undefined;
};

export class DeliverySettler {
  /** Delivered messages whose read mark or claim completion failed; retried when the relay lists them again. */
  private readonly unsettled = new Map<number, Ready>();
  private readonly failure = new FailureEpisode();

  constructor(
    private readonly relay: Pick<RelayApi, "completeClaims" | "markReadMany">,
    private readonly logger: Logger,
  ) {}

  /**
   * One call each for the whole batch: complete the claims not held for a task, then mark all read. Completing
   * first matters: a claim that is still open keeps its message listed unread until the read mark lands, so a
   * failure of either call is retried when the relay lists the message again. A completed claimable message is
   * never listed again (nor delivered again), so its read mark is not retried.
   */
  async settle(ready: Ready[], agentId: string): Promise<void> {
    const toComplete = ready.filter((r) => r.claimed && r.taskId === undefined).map((r) => r.message.id);
    let completed = new Set<number>();
    try {
      if (toComplete.length > 0) {
        const answer = await this.relay.completeClaims(agentId, toComplete);
        completed = new Set(toComplete);
        // Our claim lapsed and another agent took it: nothing left for us to settle (it may deliver it too).
        if (answer.conflicts.length > 0)
          this.logger.warn(
            { messageIds: answer.conflicts.map((c) => c.id) },
            "delivered claimable messages were claimed by another agent before completion",
          );
      }
      await this.relay.markReadMany(
        agentId,
        ready.map((r) => r.message.id),
      );
    } catch (e) {
      // The provider has them. Left unread, a restarted runner would deliver them again (and a lapsed claim would
      // let another agent take them), so they are retried when the relay next lists them unread.
      for (const r of ready) {
        if (completed.has(r.message.id)) continue;
        if (this.unsettled.size >= MAX_UNSETTLED) this.unsettled.delete(this.unsettled.keys().next().value!);
        this.unsettled.set(r.message.id, r);
      }
      if (this.failure.fail()) {
        this.logger.warn(
          { messageIds: ready.map((r) => r.message.id), err: errorMessage(e) },
          "could not mark delivered messages read; will retry",
        );
      }
      return;
    }
    if (this.unsettled.size === 0 && this.failure.recover()) this.logger.info("read marks recovered");
  }

  /** The relay listed a delivered message again: if its settlement failed, retry it now. */
  resettle(id: number, agentId: string): void {
    const r = this.unsettled.get(id);
    if (!r) return;
    this.unsettled.delete(id);
    void this.settle([r], agentId);
  }
}
