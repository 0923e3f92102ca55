// `send --wait <state>`: follow a sent message's receipts until the recipient reached the state, or say where it stands.
import { type Message, RECEIPT_RANK, type Receipt, type ReceiptState } from "../protocol/index.ts";
import type { RelayHttpClient } from "../relay-client/index.ts";
import { UsageError } from "./client-context.ts";
import { waitUntil } from "./team-io.ts";

export const WAIT_STATES = ["delivered", "seen", "answered"] as const;
export type WaitState = (typeof WAIT_STATES)[number];

export function parseWaitState(text: string): WaitState {
  if ((WAIT_STATES as readonly string[]).includes(text)) return text as WaitState;
  throw new UsageError(`--wait: expected one of ${WAIT_STATES.join(", ")} (got ${JSON.stringify(text)})`);
}

type Verdict = { done: true; receipt: Receipt } | { done: false; failed?: Receipt };

/**
 * Where the message stands against the wanted state. A message to one agent follows that agent's receipt; one to
 * many (label, tag, cap, broadcast) is done when any recipient reaches the state. `refused`, and `ambiguous` when
 * waiting for `seen` or `answered`, end the wait as failures.
 */
export function judge(receipts: readonly Receipt[], want: WaitState): Verdict {
  const reached = receipts.find((r) => r.state !== "refused" && reaches(r.state, want));
  if (reached) return { done: true, receipt: reached };
  const failed = receipts.find(
    (r) => r.state === "refused" || (r.state === "ambiguous" && want !== "delivered"),
  );
  return failed ? { done: false, failed } : { done: false };
}

function reaches(state: ReceiptState, want: WaitState): boolean {
  if (state === "ambiguous") return want === "delivered";
  return RECEIPT_RANK[state] >= RECEIPT_RANK[want];
}

export function describeReceipts(receipts: readonly Receipt[]): string {
  if (receipts.length === 0) return "no recipient has it yet";
  return receipts.map((r) => `${r.state} for '${r.agentId}'${r.reason ? ` (${r.reason})` : ""}`).join(", ");
}

/** Resolves with the receipt that reached the state; throws (exit 1) on a refusal, an ambiguity or the deadline. */
export async function waitForReceipt(
  client: Pick<RelayHttpClient, "getMessage">,
  message: Pick<Message, "id">,
  want: WaitState,
  timeoutMs: number,
): Promise<Receipt> {
  let receipts: Receipt[] = [];
  const verdict = await waitUntil(async () => {
    receipts = (await client.getMessage(message.id)).receipts ?? [];
    const v = judge(receipts, want);
    return v.done || v.failed ? v : undefined;
  }, timeoutMs);
  if (verdict?.done) return verdict.receipt;
  if (verdict) throw new Error(`message ${message.id} will not be ${want}: ${describeReceipts(receipts)}`);
  const waited = `${Math.round(timeoutMs / 100) / 10}s`;
  throw new Error(`message ${message.id} was not ${want} within ${waited}: ${describeReceipts(receipts)}`);
}
