// Turns relay messages into provider deliveries: match, de-duplicate, claim, fetch attachments, deliver, mark read, retry.
import type { Logger } from "pino";
import { type AgentAddress, type Message, matchesAgent } from "../protocol/index.ts";
import type { DeliveryItem, DeliveryResult } from "../providers/adapter.ts";
import type { Clock, TimerHandle } from "../util/clock.ts";
import { errorMessage, isRunnerError } from "../util/errors.ts";
import type { RelayApi } from "./ports.ts";
import { RecentIds } from "./recent-ids.ts";

/** Lifecycle of one message inside the runner; `ambiguous` means written but never confirmed. */
export type DeliveryState =
  | "queued"
  | "claimed"
  | "written"
  | "confirmed"
  | "ambiguous"
  | "skipped"
  | "failed";

export interface DeliveryQueueOptions {
  agent: () => AgentAddress;
  relay: Pick<RelayApi, "claimMany" | "releaseClaim" | "completeClaims" | "markReadMany" | "setTaskStatus">;
  /** Deliver to the current provider; rejects when it did not reach it. */
  deliver: (items: DeliveryItem[], signal: AbortSignal) => Promise<DeliveryResult>;
  /** Whether a provider is up to take deliveries now (the queue waits otherwise). */
  canDeliver: () => boolean;
  attachments: (message: Message) => Promise<string[]>;
  /** Called for each message handed over, with the state it reached. */
  onDelivered?: (message: Message, state: DeliveryResult["state"]) => void;
  /** Called when a task-linked message was handed over (the task tracker takes it from there). */
  onTaskDelivered?: (taskId: number, message: Message, claimHeld: boolean) => void;
  onStateChange?: (messageId: number, state: DeliveryState) => void;
  clock: Clock;
  logger: Logger;
  /** Retry delays after a failed delivery: first, cap. */
  retry?: { initialMs: number; maxMs: number };
  /** Most messages handed to the provider in one deliver() call. */
  batchSize?: number;
}

const MAX_UNSETTLED = 20_000;

type Ready = { message: Message; claimed: boolean; taskId: number | undefined };

export function taskIdOf(message: Message): number | undefined {
  const t = message.payload.taskId;
  return typeof t === "number" && Number.isInteger(t) && t > 0 ? t : undefined;
}

export class DeliveryQueue {
  private readonly pending = new Map<number, Message>();
  /** Ids handed to the current provider session: the de-duplication set. */
  private readonly delivered = new RecentIds(20_000);
  /** Ids taken out of `pending` by the running batch and not yet delivered or put back: an offer must not re-queue them. */
  private readonly inFlight = new Set<number>();
  private draining: Promise<void> | undefined;
  private again = false;
  private retryTimer: TimerHandle | undefined;
  private retryDelay: number;
  private failureLogged = false;
  /** Delivered messages whose read mark or claim completion failed; retried when the relay lists them again. */
  private readonly unsettled = new Map<number, Ready>();
  /** Messages that can never be delivered (an attachment over the cap): later offers of them are ignored. */
  private readonly refused = new RecentIds(20_000);
  private settleFailureLogged = false;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(private readonly o: DeliveryQueueOptions) {
    this.retryDelay = o.retry?.initialMs ?? 500;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Offer a message from the bus or an unread read; returns false when it is not for us or already handled. */
  offer(message: Message): boolean {
    if (this.stopped) return false;
    if (!matchesAgent(message, this.o.agent())) return false;
    if (message.from === this.o.agent().agentId) return false;
    if (this.delivered.has(message.id)) {
      // Listed again (an unread read): if its read mark failed after delivery, this is the moment to retry it.
      this.resettle(message.id);
      return false;
    }
    if (this.refused.has(message.id) || this.pending.has(message.id) || this.inFlight.has(message.id))
      return false;
    this.pending.set(message.id, message);
    this.o.onStateChange?.(message.id, "queued");
    this.kick();
    return true;
  }

  /** A new provider session starts with a clean de-duplication set only if the caller says so. */
  forgetDelivered(): void {
    this.delivered.clear();
  }

  /** Start a drain unless one is running; a running drain picks up what arrived meanwhile. */
  kick(): void {
    if (this.stopped || this.retryTimer) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drainLoop().finally(() => {
      this.draining = undefined;
    });
  }

  /** Resolves when no drain is running (tests and shutdown use it). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  stop(): void {
    this.stopped = true;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.abort.abort(new Error("delivery queue stopped"));
  }

  private async drainLoop(): Promise<void> {
    do {
      this.again = false;
      while (this.pending.size > 0 && !this.stopped && this.o.canDeliver()) {
        const ok = await this.drainBatch();
        if (!ok) return;
      }
    } while (this.again && !this.stopped);
  }

  /** One batch in id order. Returns false after a failure (a retry is scheduled). */
  private async drainBatch(): Promise<boolean> {
    const ids = [...this.pending.keys()].sort((a, b) => a - b).slice(0, this.o.batchSize ?? 50);
    // An unread re-read (after a reconnect) can offer these again while they are being claimed or pasted.
    for (const id of ids) this.inFlight.add(id);
    try {
      return await this.deliverBatch(ids);
    } finally {
      for (const id of ids) this.inFlight.delete(id);
    }
  }

  private async deliverBatch(ids: number[]): Promise<boolean> {
    const agentId = this.o.agent().agentId;
    const batch = ids.map((id) => this.pending.get(id)!);
    for (const id of ids) this.pending.delete(id);
    const claimIds = batch.filter((m) => m.claimable).map((m) => m.id);
    let won = new Set<number>();
    if (claimIds.length > 0) {
      try {
        const answer = await this.o.relay.claimMany(agentId, claimIds);
        won = new Set(answer.claimed.map((c) => c.id));
      } catch (e) {
        // Whatever the relay took before the answer was lost, the retry claims again as holder, which renews.
        for (const m of batch) this.pending.set(m.id, m);
        this.failed(e, "claim");
        return false;
      }
    }
    const ready: Ready[] = [];
    for (const message of batch) {
      if (message.claimable && !won.has(message.id)) {
        // Another agent holds it (or it is settled); if its claim lapses the message shows up unread again.
        this.o.onStateChange?.(message.id, "skipped");
        continue;
      }
      if (message.claimable) this.o.onStateChange?.(message.id, "claimed");
      ready.push({ message, claimed: message.claimable, taskId: taskIdOf(message) });
    }
    if (ready.length === 0) return true;

    const items: DeliveryItem[] = [];
    try {
      for (const r of [...ready]) {
        try {
          items.push({ message: r.message, attachmentPaths: await this.o.attachments(r.message) });
        } catch (e) {
          if (!isRunnerError(e, "DELIVERY_FAILED")) throw e;
          // Permanent (an attachment over the cache's cap): refuse this message alone — retried as part of the
          // batch, it would hold back every message after it forever.
          ready.splice(ready.indexOf(r), 1);
          await this.refuse(r, e);
        }
      }
      if (ready.length === 0) return true;
      for (const r of ready) {
        if (r.taskId !== undefined) await this.startTask(r, agentId);
      }
    } catch (e) {
      await this.requeue(ready);
      this.failed(e, "prepare");
      return false;
    }

    let result: DeliveryResult;
    try {
      result = await this.o.deliver(items, this.abort.signal);
    } catch (e) {
      await this.requeue(ready);
      this.failed(e, "deliver");
      return false;
    }

    this.succeeded();
    for (const r of ready) {
      this.delivered.add(r.message.id);
      this.o.onStateChange?.(r.message.id, result.state);
      this.o.onDelivered?.(r.message, result.state);
      if (r.taskId !== undefined) this.o.onTaskDelivered?.(r.taskId, r.message, r.claimed);
    }
    await this.settle(ready, agentId);
    return true;
  }

  /** Mark the message's task in progress; a task of another agent (403) leaves the message unlinked, not stuck. */
  private async startTask(r: Ready, agentId: string): Promise<void> {
    try {
      await this.o.relay.setTaskStatus(r.taskId!, { status: "in_progress", agentId });
    } catch (e) {
      if ((e as { status?: unknown } | null)?.status !== 403) throw e;
      this.o.logger.warn({ messageId: r.message.id, taskId: r.taskId }, "task of another agent: not tracked");
      r.taskId = undefined;
    }
  }

  /**
   * After a delivery, one call each for the whole batch: complete the claims not held for a task, then mark all
   * read. Completing first matters: a claim that is still open keeps its message listed unread until the read
   * mark lands, so a failure of either call is retried when the relay lists the message again. A completed
   * claimable message is never listed again (nor delivered again), so its read mark is not retried.
   */
  private async settle(ready: Ready[], agentId: string) {
    const toComplete = ready.filter((r) => r.claimed && r.taskId === undefined).map((r) => r.message.id);
    let completed = new Set<number>();
    try {
      if (toComplete.length > 0) {
        const answer = await this.o.relay.completeClaims(agentId, toComplete);
        completed = new Set(toComplete);
        // Our claim lapsed and another agent took it: nothing left for us to settle (it may deliver it too).
        if (answer.conflicts.length > 0)
          this.o.logger.warn(
            { messageIds: answer.conflicts.map((c) => c.id) },
            "delivered claimable messages were claimed by another agent before completion",
          );
      }
      await this.o.relay.markReadMany(
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
      if (!this.settleFailureLogged) {
        this.settleFailureLogged = true;
        this.o.logger.warn(
          { messageIds: ready.map((r) => r.message.id), err: errorMessage(e) },
          "could not mark delivered messages read; will retry",
        );
      }
      return;
    }
    if (this.settleFailureLogged && this.unsettled.size === 0) {
      this.settleFailureLogged = false;
      this.o.logger.info("read marks recovered");
    }
  }

  private resettle(id: number): void {
    const r = this.unsettled.get(id);
    if (!r || this.stopped) return;
    this.unsettled.delete(id);
    void this.settle([r], this.o.agent().agentId);
  }

  private async refuse(r: Ready, e: unknown): Promise<void> {
    this.refused.add(r.message.id);
    // Released, so an agent that can take it (a larger cache cap) may claim it.
    await this.releaseAll([r]);
    this.o.onStateChange?.(r.message.id, "failed");
    this.o.logger.warn(
      { messageId: r.message.id, err: errorMessage(e) },
      "refused a message that cannot be delivered; it stays unread at the relay",
    );
  }

  private async requeue(ready: { message: Message; claimed: boolean }[]): Promise<void> {
    await this.releaseAll(ready);
    for (const r of ready) {
      this.pending.set(r.message.id, r.message);
      this.o.onStateChange?.(r.message.id, "queued");
    }
  }

  private async releaseAll(ready: { message: Message; claimed: boolean }[]): Promise<void> {
    const agentId = this.o.agent().agentId;
    await Promise.all(
      ready
        .filter((r) => r.claimed)
        .map((r) => this.o.relay.releaseClaim(r.message.id, agentId).catch(() => undefined)),
    );
  }

  private failed(e: unknown, stage: string): void {
    if (!this.failureLogged) {
      this.o.logger.warn(
        { stage, err: errorMessage(e), pending: this.pending.size },
        "delivery failed; will retry",
      );
      this.failureLogged = true;
    }
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.o.retry?.maxMs ?? 30_000);
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
  }

  private succeeded(): void {
    if (this.failureLogged) this.o.logger.info("delivery recovered");
    this.failureLogged = false;
    this.retryDelay = this.o.retry?.initialMs ?? 500;
  }
}
