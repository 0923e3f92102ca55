// HTTP handlers for delivery receipts: a runner reports its agent's delivery states; a recipient refuses a message
// it can never deliver. Every receipt that moves is pushed on the bus to the message's sender.
import {
  matchesAgent,
  type Receipt,
  type ReceiptsAnswer,
  ReceiptsRequest,
  RefuseRequest,
} from "../../protocol/index.ts";
import { mayActAs } from "../auth/authenticate.ts";
import type { MessageAddressing } from "../store/types.ts";
import { NumericIdPath, parsePath, readJson } from "./body.ts";
import { type Handler, ownAgentParam, type Relay } from "./context.ts";
import { forbidden, notFound } from "./errors.ts";
import { addressOf } from "./visibility.ts";

/** A receipt moved: the sender's bus sessions and the fleet view's pages hear of it. */
function announce(relay: Relay, sender: string, messageId: number, receipt: Receipt): void {
  relay.hub.publishReceipt(sender, messageId, receipt);
  relay.feed.receipt(messageId, receipt);
}

/** Whether the message is the agent's to report on: addressed to it, or claimed by it. */
async function concerns(relay: Relay, message: MessageAddressing, agentId: string): Promise<boolean> {
  return message.claimedBy === agentId || matchesAgent(message, await addressOf(relay, agentId));
}

/**
 * `POST /v1/agents/:id/receipts`: the runner's batch of delivery states for its agent (its own token, or root).
 * Each receipt only moves forward; a state it already passed is not an error, just not `moved`. A message that
 * is gone (retention) or not the agent's is `ignored` with the reason; the others still count.
 */
export const reportReceipts: Handler = async (req, call) => {
  const agentId = ownAgentParam(req, call);
  const { relay } = call;
  const body = await readJson(req, ReceiptsRequest, relay.limits.jsonBodyBytes);
  const rows = await relay.store.messages.addressing(body.receipts.map((r) => r.messageId));
  const answer: ReceiptsAnswer = { ok: true, moved: [], ignored: [] };
  const now = relay.clock.now();
  for (const { messageId, state, midTurn } of body.receipts) {
    const row = rows.get(messageId);
    if (!row) answer.ignored.push({ messageId, reason: "no such message" });
    else if (!(await concerns(relay, row, agentId)))
      answer.ignored.push({ messageId, reason: `not addressed to '${agentId}'` });
    else {
      const receipt = await relay.store.receipts.advance(messageId, agentId, state, now, midTurn);
      if (!receipt) continue;
      answer.moved.push({ messageId, ...receipt });
      announce(relay, row.from, messageId, receipt);
    }
  }
  return Response.json(answer);
};

/**
 * The agent answered a message (it sent one with `replyTo` naming it): its receipt for that message is `seen` (if it
 * was not yet) and then `answered`, when the message was its to answer. Called after the reply is stored.
 */
export async function recordAnswer(relay: Relay, replyTo: number, agentId: string): Promise<void> {
  const row = (await relay.store.messages.addressing([replyTo])).get(replyTo);
  if (!row || !(await concerns(relay, row, agentId))) return;
  // An answer shows the message was seen: a sender waiting for `seen` is told so first, whatever the runner reports.
  for (const state of ["seen", "answered"] as const) {
    const receipt = await relay.store.receipts.advance(replyTo, agentId, state, relay.clock.now());
    if (receipt) announce(relay, row.from, replyTo, receipt);
  }
}

/**
 * `POST /v1/messages/:id/refuse`: only for an agent the message is addressed to (or whose claim it holds), acting
 * through its own token (or root). The refusal is final for that agent: stored as its receipt (shown on
 * `GET /v1/messages/:id`), the message is marked read for it and its claim, if it holds one, is released.
 */
export const refuseMessage: Handler = async (req, { relay, principal }) => {
  const id = parsePath(req, NumericIdPath).id;
  const body = await readJson(req, RefuseRequest, relay.limits.jsonBodyBytes);
  if (!mayActAs(principal, body.agentId)) {
    const self = principal.kind === "runtime" ? principal.claims.agentId : "root";
    throw forbidden(`this token acts as '${self}', not '${body.agentId}'`);
  }
  const row = (await relay.store.messages.addressing([id])).get(id);
  if (!row) throw notFound(`message ${id}`);
  if (!(await concerns(relay, row, body.agentId))) {
    throw forbidden(`message ${id} is not addressed to '${body.agentId}'`);
  }
  const now = relay.clock.now();
  if (await relay.store.receipts.refuse(id, body.agentId, body.reason, now)) {
    const receipt = { agentId: body.agentId, state: "refused" as const, reason: body.reason, at: now };
    announce(relay, row.from, id, receipt);
  }
  return Response.json({ ok: true });
};
