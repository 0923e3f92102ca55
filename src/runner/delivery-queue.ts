// Turns relay messages into provider deliveries: match, de-duplicate, claim, fetch attachments, deliver, mark read, retry.
import { type Message, matchesAgent } from "../protocol/index.ts";
import type { DeliveryItem, DeliveryResult } from "../providers/adapter.ts";
import { Backoff } from "../util/backoff.ts";
import type { TimerHandle } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";
import { FailureEpisode } from "../util/log-limiter.ts";
import { claimBatch, releaseBatch } from "./delivery-claim.ts";
import { type PrepareDeps, prepareBatch } from "./delivery-prepare.ts";
import type { DeliveryQueueOptions } from "./delivery-queue-options.ts";
import { type DeliveryRecord, DeliveryRecords, type DeliveryState } from "./delivery-records.ts";
import { DeliverySettler } from "./delivery-settle.ts";
import { noteMessage } from "./note.ts";
import { UrgentLane } from "./urgent-lane.ts";

export type { DeliveryQueueOptions };

/** idle → draining (→ kicked: drain once more) → idle | retry-wait; stopped is final. */
type QueuePhase = "idle" | "draining" | "kicked" | "retry-wait" | "stopped";

export class DeliveryQueue {
  private readonly records: DeliveryRecords;
  private readonly settler: DeliverySettler;
  private phase: QueuePhase = "idle";
  private draining: Promise<void> | undefined;
  private retryTimer: TimerHandle | undefined;
  private readonly retry: Backoff;
  private readonly failure = new FailureEpisode();
  private readonly abort = new AbortController();
  private readonly prepareDeps: PrepareDeps;
  /** deliver() calls under way; urgent messages may pass one that the adapter holds (see UrgentLane). */
  private delivering = 0;
  private readonly lane: UrgentLane;

  constructor(private readonly o: DeliveryQueueOptions) {
    // No jitter: one runner retrying its own relay has nobody to spread out from.
    this.retry = new Backoff({ initialMs: 500, maxMs: 30_000, ...o.retry, jitter: "none" });
    const attachments = (m: Message) => o.attachments.fetchAll(m.attachments);
    this.prepareDeps = { relay: o.relay, logger: o.logger, attachments, tasks: o.tasks };
    this.settler = new DeliverySettler(o.relay, o.logger);
    this.records = new DeliveryRecords({
      clock: o.clock,
      work: o.work,
      deadlineMs: o.confirmDeadlineMs,
      onState: o.receipts && ((id, state, midTurn) => o.receipts?.note(id, state, midTurn)),
      onAmbiguous: (messageId) => {
        o.logger.warn(
          { messageId },
          "delivery not confirmed by the provider; reported ambiguous, not re-sent",
        );
        o.status.timelineEvent("delivery-ambiguous", { messageId });
      },
    });
    const open = () => this.phase !== "stopped" && this.delivering > 0 && this.canDeliver();
    this.lane = new UrgentLane({
      records: this.records,
      currentTaskId: () => o.tasks.held().at(-1)?.taskId,
      mayPass: () => o.adapter.takesMidTurnWhileHolding === true && open(),
      deliver: (pick) => this.deliverBatch(pick),
    });
  }

  /** Messages waiting for the provider (new ones and re-deliveries). */
  get pendingCount(): number {
    return this.records.queuedCount;
  }

  /** Status meta lists these: recent messages written but never confirmed, recent confirmations (mid-turn or not). */
  get ambiguous(): readonly number[] {
    return this.records.ambiguous;
  }
  get recentDeliveries(): DeliveryRecords["recentDeliveries"] {
    return this.records.recentDeliveries;
  }

  stateOf(messageId: number): DeliveryState | undefined {
    return this.records.stateOf(messageId);
  }

  /** Offer a message from the bus or an unread read; returns false when it is not for us or already handled. */
  offer(message: Message): boolean {
    if (this.phase === "stopped") return false;
    if (!matchesAgent(message, this.o.agent)) return false;
    if (message.from === this.o.agent.agentId) return false;
    if (this.records.wasHandedOver(message.id)) {
      // Listed again (an unread read): if its read mark failed after delivery, this is the moment to retry it.
      this.settler.resettle(message.id, this.o.agent.agentId);
      return false;
    }
    // Queued, in flight (an unread re-read after a reconnect while it is being pasted) or refused before.
    if (this.records.stateOf(message.id) !== undefined) return false;
    this.records.add(message);
    this.kick();
    if (message.urgent) this.lane.kick();
    return true;
  }

  /** The model saw the message (a provider's delivery.confirmed), inside a running turn or at a turn boundary. */
  confirmed(messageId: number, midTurn = false): void {
    if (this.records.confirmed(messageId, midTurn)) this.o.logger.debug({ messageId, midTurn }, "confirmed");
  }

  /** The provider session ended: what it never confirmed goes to the next session, before anything new. */
  providerExited(): number[] {
    const ids = this.records.providerExited();
    if (ids.length > 0)
      this.o.logger.info({ messageIds: ids }, "provider exited before confirming; will re-deliver");
    return ids;
  }

  /** Text that is not a relay message (initial prompt, injected context) travels as a synthetic system message. */
  async deliverNote(content: string, signal: AbortSignal): Promise<void> {
    const message = noteMessage(this.o.agent.agentId, content, this.o.clock.now());
    await this.o.adapter.deliver([{ message, attachmentPaths: [] }], signal);
  }

  /** Start a drain unless one is running; a running drain picks up what arrived meanwhile. */
  kick(): void {
    if (this.phase === "stopped" || this.phase === "retry-wait") return;
    if (this.phase !== "idle") {
      this.phase = "kicked";
      return;
    }
    this.phase = "draining";
    this.draining = this.drainLoop().finally(() => {
      this.draining = undefined;
      const kicked = this.phase === "kicked";
      if (this.phase === "draining" || kicked) this.phase = "idle";
      // A kick that came after the loop's last check but before this point would otherwise be lost.
      if (kicked) this.kick();
    });
  }

  /** Resolves when no drain is running (tests and shutdown use it). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  stop(): void {
    this.phase = "stopped";
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.records.stop();
    this.abort.abort(new Error("delivery queue stopped"));
  }

  private canDeliver(): boolean {
    return this.o.provider.isRunning && this.o.gate.isOpen && !this.o.work.hasCondition("needs-input");
  }

  private async drainLoop(): Promise<void> {
    do {
      if (this.phase === "kicked") this.phase = "draining";
      while (this.pendingCount > 0 && this.phase !== "stopped" && this.canDeliver()) {
        const redo = this.records.takeRedeliveries();
        const ok = redo.length > 0 ? await this.redeliver(redo) : await this.deliverBatch();
        if (!ok) return;
      }
    } while ((this.phase as QueuePhase) === "kicked");
  }

  /**
   * One batch of new messages in id order (`pick`: only those). Returns false after a failure: a retry is scheduled,
   * or for the urgent lane the messages simply wait for the next drain.
   */
  private async deliverBatch(pick?: (r: DeliveryRecord) => boolean): Promise<boolean> {
    const agentId = this.o.agent.agentId;
    const fail = (e: unknown, stage: string) => (pick ? this.laneFailed(e, stage) : this.failed(e, stage));
    const batch = this.records.takeNew(this.o.batchSize ?? 50, pick);
    let ready: DeliveryRecord[];
    try {
      ready = await claimBatch(batch, agentId, this.o.relay, this.records);
    } catch (e) {
      // Whatever the relay took before the answer was lost, the retry claims again as holder, which renews.
      for (const r of batch) this.records.requeue(r);
      fail(e, "claim");
      return false;
    }
    let items: DeliveryItem[];
    try {
      items = await prepareBatch(ready, agentId, this.prepareDeps, (r) => this.records.drop(r, "refused"));
    } catch (e) {
      await this.requeue(ready);
      fail(e, "prepare");
      return false;
    }
    if (items.length === 0) return true;

    const epoch = this.records.epoch;
    let result: DeliveryResult;
    this.delivering++;
    try {
      result = await this.o.adapter.deliver(items, this.abort.signal);
    } catch (e) {
      await this.requeue(ready);
      fail(e, "deliver");
      return false;
    } finally {
      this.delivering--;
    }
    this.succeeded();
    const busy = this.o.work.has("provider-turn", "turn");
    for (const [i, r] of ready.entries()) {
      r.item = items[i];
      if (r.taskId !== undefined)
        this.o.tasks.track(r.taskId, r.message.id, r.claimed, busy, r.timeLimitSeconds);
    }
    this.handedOver(ready, result, epoch);
    await this.settler.settle(ready, agentId);
    return true;
  }

  /** Messages the previous provider session never confirmed: already claimed, started and read at the relay. */
  private async redeliver(batch: DeliveryRecord[]): Promise<boolean> {
    const epoch = this.records.epoch;
    let result: DeliveryResult;
    try {
      result = await this.o.adapter.deliver(
        batch.map((r) => r.item!),
        this.abort.signal,
      );
    } catch (e) {
      for (const r of batch) this.records.move(r, "queued");
      this.failed(e, "re-deliver");
      return false;
    }
    this.succeeded();
    this.handedOver(batch, result, epoch);
    return true;
  }

  /** A `written` batch whose session died meanwhile waits for the next one instead. */
  private handedOver(batch: DeliveryRecord[], result: DeliveryResult, epoch: number): void {
    const confirms = this.o.adapter.confirmsDelivery === true;
    let stayed = false;
    for (const r of batch) if (this.records.handedOver(r, result.state, epoch, confirms)) stayed = true;
    if (stayed) this.o.gate.delivered();
  }

  private requeue(ready: DeliveryRecord[]): Promise<void> {
    return releaseBatch(ready, this.o.agent.agentId, this.o.relay, this.records);
  }

  private failed(e: unknown, stage: string): void {
    const detail = { stage, err: errorMessage(e), pending: this.pendingCount };
    if (this.failure.fail()) this.o.logger.warn(detail, "delivery failed; will retry");
    const delay = this.retry.next();
    if (this.phase === "stopped") return;
    this.phase = "retry-wait";
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (this.phase !== "retry-wait") return;
      this.phase = "idle";
      this.kick();
    }, delay);
  }

  /** An urgent lane batch failed: its messages are queued again for the main drain (which retries with backoff). */
  private laneFailed(e: unknown, stage: string): void {
    this.o.logger.warn({ stage, err: errorMessage(e) }, "urgent delivery failed; the main drain takes it");
    this.kick();
  }

  private succeeded(): void {
    if (this.failure.recover()) this.o.logger.info("delivery recovered");
    this.retry.reset();
  }
}
