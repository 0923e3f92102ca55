// Tells the relay where each message stands for this agent (its delivery receipts), in one call per batch.
import type { Logger } from "pino";
import {
  MAX_RECEIPTS_PER_REPORT,
  RECEIPT_RANK,
  ReceiptsAnswer,
  type ReceiptsRequest,
} from "../protocol/index.ts";
import { Backoff } from "../util/backoff.ts";
import type { Clock, TimerHandle } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";
import { FailureEpisode } from "../util/log-limiter.ts";
import type { DeliveryState } from "./delivery-records.ts";
import type { RelayApi } from "./ports.ts";

type Reported = "claimed" | "delivered" | "ambiguous" | "seen";
/** A receipt to send; `midTurn` with seen: the model got the message inside a running turn, or at a turn boundary. */
interface Pending {
  state: Reported;
  midTurn?: boolean;
}

/**
 * The receipt a delivery state shows the sender; queued (the relay's default) and refused (reported apart) none. A
 * confirmed message is in the model's input but the model may not have read it yet: it is `seen` once the model
 * answers a request (modelAnswered).
 */
const RECEIPT_OF: Partial<Record<DeliveryState, Reported>> = {
  claimed: "claimed",
  written: "delivered",
  ambiguous: "ambiguous",
  confirmed: "delivered",
};

/** Transitions within this window go in one call. */
const BATCH_MS = 25;
/** Receipts waiting while the relay is unreachable; beyond it the oldest are dropped (a receipt is advisory). */
const MAX_PENDING = 5_000;

export interface ReceiptReporterOptions {
  agentId: string;
  relay: Pick<RelayApi, "call">;
  clock: Clock;
  logger: Logger;
  batchMs?: number;
  maxPending?: number;
}

export class ReceiptReporter {
  /** Per message, the furthest state not yet reported, in the order the transitions happened. */
  private readonly pending = new Map<number, Pending>();
  /** The furthest state noted per message, newest messages last (bounded like `pending`). */
  private readonly furthest = new Map<number, Reported>();
  /** Confirmed in the provider's input (mid-turn or not), waiting for the model's next answer to count as seen. */
  private readonly awaitingAnswer = new Map<number, boolean | undefined>();
  private timer: TimerHandle | undefined;
  private sending: Promise<void> | undefined;
  private readonly backoff = new Backoff({ initialMs: 500, maxMs: 30_000, jitter: "none" });
  private readonly failure = new FailureEpisode();
  private stopped = false;

  constructor(private readonly o: ReceiptReporterOptions) {}

  /**
   * A delivery record moved: its receipt is reported with the next batch (local ids, ≤ 0, never). `midTurn` (with
   * confirmed) goes on the `seen` receipt: the model got it inside a running turn, or at a turn boundary.
   */
  note(messageId: number, state: DeliveryState, midTurn?: boolean): void {
    const receipt = RECEIPT_OF[state];
    if (!receipt || messageId <= 0 || this.stopped) return;
    if (state === "confirmed") {
      this.awaitingAnswer.set(messageId, midTurn);
      if (this.awaitingAnswer.size > (this.o.maxPending ?? MAX_PENDING))
        this.awaitingAnswer.delete(this.awaitingAnswer.keys().next().value!);
    }
    this.put(messageId, receipt);
  }

  /**
   * The model answered a request (a response's usage, a tool call, the turn's end): every confirmed message was in
   * what it read, so each is now `seen`.
   */
  modelAnswered(): void {
    if (this.stopped) return;
    for (const [id, midTurn] of this.awaitingAnswer) this.put(id, "seen", midTurn);
    this.awaitingAnswer.clear();
  }

  private put(messageId: number, receipt: Reported, midTurn?: boolean): void {
    // Against what was noted before, sent or not: a state the relay has (or will have) is never sent again.
    const before = this.furthest.get(messageId);
    if (before && RECEIPT_RANK[before] >= RECEIPT_RANK[receipt]) return;
    this.furthest.delete(messageId);
    this.furthest.set(messageId, receipt);
    if (this.furthest.size > (this.o.maxPending ?? MAX_PENDING))
      this.furthest.delete(this.furthest.keys().next().value!);
    this.pending.delete(messageId);
    this.pending.set(messageId, midTurn === undefined ? { state: receipt } : { state: receipt, midTurn });
    if (this.pending.size > (this.o.maxPending ?? MAX_PENDING)) {
      this.pending.delete(this.pending.keys().next().value!);
    }
    this.schedule(this.o.batchMs ?? BATCH_MS);
  }

  /** Report what is pending now (the runner is stopping; the caller bounds the wait). Nothing is noted after. */
  async flush(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.sending;
    if (this.pending.size > 0) await this.send();
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.sending || this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.sending = this.send().then((ok) => {
        this.sending = undefined;
        if (this.pending.size > 0) this.schedule(ok ? (this.o.batchMs ?? BATCH_MS) : this.backoff.next());
      });
    }, delayMs);
  }

  /** One call with up to the per-call limit; answers whether it went through (on failure the batch waits again). */
  private async send(): Promise<boolean> {
    const batch = [...this.pending].slice(0, MAX_RECEIPTS_PER_REPORT);
    for (const [id] of batch) this.pending.delete(id);
    try {
      const receipts = batch.map(([messageId, p]) => ({ messageId, ...p }));
      await reportReceipts(this.o.relay, this.o.agentId, receipts);
      this.backoff.reset();
      if (this.failure.recover()) this.o.logger.info("delivery receipts reach the relay again");
      return true;
    } catch (e) {
      // Back in front of anything noted meanwhile, unless a later state of the same message is already waiting.
      const later = [...this.pending];
      this.pending.clear();
      for (const [id, p] of [...batch, ...later]) {
        const kept = this.pending.get(id);
        if (!kept || RECEIPT_RANK[kept.state] < RECEIPT_RANK[p.state]) this.pending.set(id, p);
      }
      if (this.failure.fail())
        this.o.logger.warn({ err: errorMessage(e) }, "could not report delivery receipts; retrying");
      return false;
    }
  }
}

/** `POST /v1/agents/:id/receipts`: 1–200 of the agent's delivery states in one call. */
export function reportReceipts(
  relay: Pick<RelayApi, "call">,
  agentId: string,
  receipts: ReceiptsRequest["receipts"],
): Promise<ReceiptsAnswer> {
  const path = `/v1/agents/${encodeURIComponent(agentId)}/receipts`;
  return relay.call("POST", path, ReceiptsAnswer, { receipts }, undefined);
}
