// Turns relay messages into provider deliveries: match, de-duplicate, claim, fetch attachments, deliver, mark read, retry.
import type { Logger } from "pino";
import { type AgentAddress, type Message, matchesAgent } from "../protocol/index.ts";
import type { DeliveryItem, DeliveryResult } from "../providers/adapter.ts";
import type { Clock, TimerHandle } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";
import { prepareDelivery } from "./delivery-prepare.ts";
import { DeliverySettler, type Ready } from "./delivery-settle.ts";
import type { RelayApi } from "./ports.ts";
import { RecentIds } from "./recent-ids.ts";
import { Redelivery } from "./redelivery.ts";

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
  relay: Pick<
    RelayApi,
    "claimMany" | "releaseClaim" | "completeClaims" | "markReadMany" | "setTaskStatus" | "refuseMessage"
  >;
  /** Deliver to the current provider; rejects when it did not reach it. */
  deliver: (items: DeliveryItem[], signal: AbortSignal) => Promise<DeliveryResult>;
  /**
   * The provider confirms what reached the model (ProviderAdapter.confirmsDelivery): then a `written` message it
   * never confirmed is delivered again if the provider exits. Without confirmations, `written` is final.
   */
  confirmsDelivery?: boolean;
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
  private readonly settler: DeliverySettler;
  /** Messages that can never be delivered (see permanentFailure): later offers of them are ignored. */
  private readonly refused = new RecentIds(20_000);
  /** Written but unconfirmed when the provider died: delivered again, before anything new. */
  private readonly redo = new Redelivery();
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(private readonly o: DeliveryQueueOptions) {
    this.retryDelay = o.retry?.initialMs ?? 500;
    this.settler = new DeliverySettler(o.relay, o.logger);
  }

  get pendingCount(): number {
    return this.pending.size + this.redo.size;
  }

  /** Confirmed (or reported ambiguous after its deadline): never re-delivered when the provider dies later. */
  forgetWritten(messageId: number): void {
    this.redo.confirmed(messageId);
  }

  /** The provider session ended: what it never confirmed goes to the next session (see Redelivery). Answers those ids. */
  providerExited(): number[] {
    const ids = this.redo.providerExited();
    if (ids.length > 0)
      this.o.logger.info({ messageIds: ids }, "provider exited before confirming; will re-deliver");
    return ids;
  }

  /** Offer a message from the bus or an unread read; returns false when it is not for us or already handled. */
  offer(message: Message): boolean {
    if (this.stopped) return false;
    if (!matchesAgent(message, this.o.agent())) return false;
    if (message.from === this.o.agent().agentId) return false;
    if (this.delivered.has(message.id)) {
      // Listed again (an unread read): if its read mark failed after delivery, this is the moment to retry it.
      if (!this.stopped) this.settler.resettle(message.id, this.o.agent().agentId);
      return false;
    }
    if (this.refused.has(message.id) || this.pending.has(message.id) || this.inFlight.has(message.id))
      return false;
    this.pending.set(message.id, message);
    this.o.onStateChange?.(message.id, "queued");
    this.kick();
    return true;
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
      // A kick that came after the loop's last check but before this point would otherwise be lost.
      if (this.again) this.kick();
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
      while (this.pendingCount > 0 && !this.stopped && this.o.canDeliver()) {
        const ok = this.redo.size > 0 ? await this.redeliver() : await this.drainBatch();
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
        const item = await prepareDelivery(r, agentId, this.o);
        if (item) items.push(item);
        else {
          this.refused.add(r.message.id);
          this.o.onStateChange?.(r.message.id, "failed");
          ready.splice(ready.indexOf(r), 1);
        }
      }
      if (ready.length === 0) return true;
    } catch (e) {
      await this.requeue(ready);
      this.failed(e, "prepare");
      return false;
    }

    const epoch = this.redo.epoch;
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
      if (r.taskId !== undefined) this.o.onTaskDelivered?.(r.taskId, r.message, r.claimed);
    }
    this.handedOver(items, result.state, epoch);
    await this.settler.settle(ready, agentId);
    return true;
  }

  /** Messages the previous provider session never confirmed: already claimed, started and read at the relay. */
  private async redeliver(): Promise<boolean> {
    const items = this.redo.take();
    const epoch = this.redo.epoch;
    let result: DeliveryResult;
    try {
      result = await this.o.deliver(items, this.abort.signal);
    } catch (e) {
      this.redo.putBack(items);
      this.failed(e, "re-deliver");
      return false;
    }
    this.succeeded();
    this.handedOver(items, result.state, epoch);
    return true;
  }

  /** Report what the provider took; a `written` batch whose session died meanwhile waits for the next one instead. */
  private handedOver(items: DeliveryItem[], state: DeliveryResult["state"], epoch: number): void {
    const taken = state === "written" && this.o.confirmsDelivery ? this.redo.written(items, epoch) : items;
    for (const item of taken) {
      this.o.onStateChange?.(item.message.id, state);
      this.o.onDelivered?.(item.message, state);
    }
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
