// Test helper: the receipt states a sender's bus session was pushed for one message, in arrival order.
import type { TestBus } from "./relay.ts";

export function receiptStates(bus: Pick<TestBus, "frames">, messageId: number): string[] {
  return bus.frames
    .filter((f) => f.type === "receipt" && f.messageId === messageId)
    .map((f) => (f as unknown as { receipt: { state: string } }).receipt.state);
}

/** The states go only forward; transitions within one report batch arrive as the furthest, so some may be folded. */
export const RECEIPT_ORDER = ["claimed", "delivered", "ambiguous", "seen", "answered"];
export const inOrder = (states: string[]) => RECEIPT_ORDER.filter((s) => states.includes(s));
