// Test helper: the receipt states a sender's bus session was pushed for one message, in arrival order.
import type { TestBus } from "./relay.ts";
import { waitFor } from "./wait-for.ts";

export function receiptStates(bus: Pick<TestBus, "frames">, messageId: number): string[] {
  return bus.frames
    .filter((f) => f.type === "receipt" && f.messageId === messageId)
    .map((f) => (f as unknown as { receipt: { state: string } }).receipt.state);
}

/** The states go only forward; transitions within one report batch arrive as the furthest, so some may be folded. */
export const RECEIPT_ORDER = ["claimed", "delivered", "ambiguous", "seen", "answered"];
export const inOrder = (states: string[]) => RECEIPT_ORDER.filter((s) => states.includes(s));

/**
 * Waits for the `answered` receipt; answers the last two states pushed (the earlier ones must have come in order,
 * else the list of all of them is answered, so the assertion shows them).
 */
export async function receiptsUntilAnswered(
  bus: Pick<TestBus, "frames">,
  messageId: number,
): Promise<string[]> {
  await waitFor(() => receiptStates(bus, messageId).includes("answered"), { what: "the answered receipt" });
  const states = receiptStates(bus, messageId);
  const ordered = states.join() === inOrder(states).join();
  return ordered ? states.slice(-2) : states;
}

/** When the relay recorded `state` for the message (its receipt's `at`), once the sender's session was told. */
export async function receiptAt(
  bus: Pick<TestBus, "frames">,
  messageId: number,
  state: string,
): Promise<number> {
  const frame = await waitFor(
    () =>
      bus.frames.find(
        (f) =>
          f.type === "receipt" &&
          f.messageId === messageId &&
          (f as unknown as { receipt: { state: string } }).receipt.state === state,
      ),
    { timeoutMs: 30_000, what: `the ${state} receipt of message ${messageId}` },
  );
  return (frame as unknown as { receipt: { at: number } }).receipt.at;
}
