// Deliveries written to a provider session that died before confirming them: delivered again to the next session.
import type { DeliveryItem } from "../providers/adapter.ts";

/** Most written-but-unconfirmed deliveries kept for a re-delivery after the provider dies. */
const MAX_UNCONFIRMED = 1_000;

/**
 * A provider that was already dead when a message was written cannot have seen it, and one that dies before the
 * model confirmed a message cannot be known to have seen it: both are delivered again rather than reported
 * ambiguous. Confirmed messages are never re-sent.
 */
export class Redelivery {
  /** Written to the current provider session, not yet confirmed. */
  private readonly unconfirmed = new Map<number, DeliveryItem>();
  /** Waiting for the next session, in id order when taken. */
  private readonly redo = new Map<number, DeliveryItem>();
  /** Bumped at each provider exit, so a delivery that was under way when it happened can tell. */
  private _epoch = 0;

  get epoch(): number {
    return this._epoch;
  }

  get size(): number {
    return this.redo.size;
  }

  confirmed(messageId: number): void {
    this.unconfirmed.delete(messageId);
  }

  /** The provider session ended: everything unconfirmed waits for the next one. Answers those ids. */
  providerExited(): number[] {
    this._epoch++;
    const ids = [...this.unconfirmed.keys()];
    for (const [id, item] of this.unconfirmed) this.redo.set(id, item);
    this.unconfirmed.clear();
    return ids;
  }

  /**
   * A delivery started at `epoch` answered `written`: keep its items until confirmed, or — when the session died
   * meanwhile — put them back for the next session. Answers the items that stay with the current session.
   */
  written(items: DeliveryItem[], epoch: number): DeliveryItem[] {
    if (epoch !== this._epoch) {
      this.putBack(items);
      return [];
    }
    for (const item of items) {
      if (item.message.id <= 0) continue;
      if (this.unconfirmed.size >= MAX_UNCONFIRMED)
        this.unconfirmed.delete(this.unconfirmed.keys().next().value!);
      this.unconfirmed.set(item.message.id, item);
    }
    return items;
  }

  take(): DeliveryItem[] {
    const items = [...this.redo.values()].sort((a, b) => a.message.id - b.message.id);
    this.redo.clear();
    return items;
  }

  putBack(items: DeliveryItem[]): void {
    for (const item of items) if (!this.redo.has(item.message.id)) this.redo.set(item.message.id, item);
  }
}
