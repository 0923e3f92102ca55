// One record per message the queue handles: queued → claimed → written → confirmed | ambiguous | refused.
import { type Message, TASK_OUTCOME_KIND } from "../protocol/index.ts";
import type { DeliveryItem, DeliveryOutcome } from "../providers/adapter.ts";
import type { Clock, TimerHandle } from "../util/clock.ts";
import type { WorkTracker } from "./work-tracker.ts";

/** How long a written message may wait for the model to confirm it before it is reported ambiguous. */
export const CONFIRM_DEADLINE_MS = 30_000;
const MAX_AMBIGUOUS_REPORTED = 50;
const MAX_RECENT_DELIVERIES = 20;
const MAX_FINISHED = 20_000;

/**
 * queued: waiting for the provider (again, after a provider exit, when `item` is set).
 * claimed: taken by the running batch (its relay claim won, for a claimable message).
 * written: handed to a provider that confirms; waits for the confirmation or the deadline.
 * confirmed / ambiguous / refused: final. `ambiguous` means written but never confirmed: reported, never re-sent,
 * which could make a duplicate turn. `refused`: it can never be delivered (recorded at the relay).
 */
export type DeliveryState = "queued" | "claimed" | "written" | "confirmed" | "ambiguous" | "refused";

export interface DeliveryRecord {
  readonly message: Message;
  state: DeliveryState;
  /** The runner holds the message's relay claim. */
  claimed: boolean;
  /** Its task, until the task turns out not to be this agent's to update. */
  taskId: number | undefined;
  /** Its task's time limit, learned when the task was started. */
  timeLimitSeconds?: number | undefined;
  /** What reached the provider (attachments fetched, task started, read): a re-delivery sends it as is. */
  item?: DeliveryItem;
  /** While `written`: the confirmation deadline, and the provider session (epoch) it was written to. */
  deadline?: TimerHandle;
  epoch?: number;
  /** Confirmed while its delivery was still under way (a steered message, in a batch that waits for the turn). */
  confirmedEarly?: { midTurn: boolean };
}

export interface DeliveryRecordsOptions {
  clock: Clock;
  /** A claimable message this runner claimed is work (the agent is busy) until it is handed over. */
  work: Pick<WorkTracker, "add" | "remove">;
  deadlineMs?: number;
  onAmbiguous: (messageId: number) => void;
  /** Every state a record enters, in order (delivery receipts are made from these); `midTurn` with confirmed. */
  onState?: (messageId: number, state: DeliveryState, midTurn?: boolean) => void;
}

/** The task a message asks this agent to work on; a task-outcome note only reports on one (not work). */
export function taskIdOf(message: Message): number | undefined {
  if (message.kind === TASK_OUTCOME_KIND) return undefined;
  const t = message.payload.taskId;
  return typeof t === "number" && Number.isInteger(t) && t > 0 ? t : undefined;
}

export class DeliveryRecords {
  private readonly live = new Map<number, DeliveryRecord>();
  /** Final states of recent messages, oldest first: later offers of them are not delivered again. */
  private readonly finished = new Map<number, DeliveryState>();
  /** Recent ambiguous ids, newest last (published in status meta). */
  readonly ambiguous: number[] = [];
  /** Recent confirmations, newest last: did the message go into a running turn (published in status meta). */
  readonly recentDeliveries: { messageId: number; midTurn: boolean }[] = [];
  /** Bumped at each provider exit, so a delivery under way when it happened can tell. */
  private _epoch = 0;

  constructor(private readonly o: DeliveryRecordsOptions) {}

  get epoch(): number {
    return this._epoch;
  }

  /** The state of a message the queue holds or recently finished; undefined for a new one. */
  stateOf(messageId: number): DeliveryState | undefined {
    return this.live.get(messageId)?.state ?? this.finished.get(messageId);
  }

  /** Whether the message reached a provider before (a re-read of it must not deliver it again). */
  wasHandedOver(messageId: number): boolean {
    const r = this.live.get(messageId);
    if (r) return r.item !== undefined;
    const s = this.finished.get(messageId);
    return s !== undefined && s !== "refused";
  }

  get queuedCount(): number {
    let n = 0;
    for (const r of this.live.values()) if (r.state === "queued") n++;
    return n;
  }

  add(message: Message): void {
    this.live.set(message.id, { message, state: "queued", claimed: false, taskId: taskIdOf(message) });
  }

  /** Up to `limit` new queued messages in id order (those `pick` accepts), taken by a batch (claimed). */
  takeNew(limit: number, pick?: (r: DeliveryRecord) => boolean): DeliveryRecord[] {
    return this.take((r) => r.item === undefined && (pick?.(r) ?? true), limit);
  }

  /** Whether a new queued message passes `pick`. */
  hasNew(pick: (r: DeliveryRecord) => boolean): boolean {
    for (const r of this.live.values())
      if (r.state === "queued" && r.item === undefined && pick(r)) return true;
    return false;
  }

  /** Every message written to a provider session that exited unconfirmed, in id order, taken for re-delivery. */
  takeRedeliveries(): DeliveryRecord[] {
    return this.take((r) => r.item !== undefined, Number.POSITIVE_INFINITY);
  }

  move(r: DeliveryRecord, state: DeliveryState, midTurn?: boolean): void {
    r.state = state;
    // A claimable message is the agent's only once its relay claim is won (the queue moves it again then).
    if (state !== "claimed" || !r.message.claimable || r.claimed)
      this.o.onState?.(r.message.id, state, midTurn);
    const id = String(r.message.id);
    if (state === "claimed" && r.claimed) this.o.work.add({ kind: "message", id });
    else this.o.work.remove("message", id);
  }

  /** Back to the queue (a failed batch): its claim was given back. */
  requeue(r: DeliveryRecord): void {
    r.claimed = false;
    this.move(r, "queued");
  }

  /** Claimed by another agent, or refused for good: the record ends here. */
  drop(r: DeliveryRecord, final?: "refused"): void {
    this.o.work.remove("message", String(r.message.id));
    this.live.delete(r.message.id);
    if (final) {
      r.state = final;
      this.finish(r.message.id, final);
    }
  }

  /**
   * The provider took the message in a delivery started at `epoch`. `written` waits for a confirmation when the
   * provider gives them — or, when the session died meanwhile, goes back to the queue for the next session.
   * Answers whether it stayed with the current session.
   */
  handedOver(r: DeliveryRecord, outcome: DeliveryOutcome, epoch: number, confirms: boolean): boolean {
    if (r.confirmedEarly && epoch === this._epoch) {
      this.confirm(r, r.confirmedEarly.midTurn);
      return true;
    }
    if (outcome === "written" && confirms && r.message.id > 0) {
      if (epoch !== this._epoch) {
        this.move(r, "queued");
        return false;
      }
      this.move(r, "written");
      r.epoch = epoch;
      r.deadline = this.o.clock.setTimeout(() => this.expire(r), this.o.deadlineMs ?? CONFIRM_DEADLINE_MS);
      return true;
    }
    // Without confirmations, `written` is final.
    this.end(r, outcome === "confirmed" ? "confirmed" : "written");
    return true;
  }

  /**
   * The provider showed the model saw it (possibly after the deadline: then it leaves the ambiguous list), inside a
   * running turn (`midTurn`) or at a turn boundary.
   */
  confirmed(messageId: number, midTurn = false): boolean {
    const r = this.live.get(messageId);
    if (r?.state === "written") return this.confirm(r, midTurn);
    // Still being handed over: it is confirmed when the delivery returns (unless the provider exits first).
    if (r?.state === "claimed" && !r.confirmedEarly) {
      r.confirmedEarly = { midTurn };
      return true;
    }
    const i = this.ambiguous.indexOf(messageId);
    if (i < 0) return false;
    this.ambiguous.splice(i, 1);
    this.o.onState?.(messageId, "confirmed", midTurn);
    this.finish(messageId, "confirmed");
    this.noteRecent(messageId, midTurn);
    return true;
  }

  /** The provider session ended: what it never confirmed waits for the next one. Answers those ids. */
  providerExited(): number[] {
    this._epoch++;
    const ids: number[] = [];
    for (const r of this.live.values()) {
      if (r.state !== "written") continue;
      r.deadline?.cancel();
      r.deadline = undefined;
      this.move(r, "queued");
      ids.push(r.message.id);
    }
    return ids;
  }

  /** Stop every deadline (the runner is stopping). */
  stop(): void {
    for (const r of this.live.values()) r.deadline?.cancel();
  }

  private take(which: (r: DeliveryRecord) => boolean, limit: number): DeliveryRecord[] {
    const picked = [...this.live.values()]
      .filter((r) => r.state === "queued" && which(r))
      .sort((a, b) => a.message.id - b.message.id)
      .slice(0, limit);
    for (const r of picked) this.move(r, "claimed");
    return picked;
  }

  private confirm(r: DeliveryRecord, midTurn: boolean): true {
    this.end(r, "confirmed", midTurn);
    this.noteRecent(r.message.id, midTurn);
    return true;
  }

  private noteRecent(messageId: number, midTurn: boolean): void {
    this.recentDeliveries.push({ messageId, midTurn });
    if (this.recentDeliveries.length > MAX_RECENT_DELIVERIES) this.recentDeliveries.shift();
  }

  private expire(r: DeliveryRecord): void {
    if (this.live.get(r.message.id) !== r || r.state !== "written") return;
    this.end(r, "ambiguous");
    this.ambiguous.push(r.message.id);
    if (this.ambiguous.length > MAX_AMBIGUOUS_REPORTED) this.ambiguous.shift();
    this.o.onAmbiguous(r.message.id);
  }

  private end(r: DeliveryRecord, state: DeliveryState, midTurn?: boolean): void {
    r.deadline?.cancel();
    r.deadline = undefined;
    this.move(r, state, midTurn);
    this.live.delete(r.message.id);
    this.finish(r.message.id, state);
  }

  private finish(messageId: number, state: DeliveryState): void {
    if (messageId <= 0) return;
    this.finished.delete(messageId);
    this.finished.set(messageId, state);
    if (this.finished.size > MAX_FINISHED) this.finished.delete(this.finished.keys().next().value!);
  }
}
