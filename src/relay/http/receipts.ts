// HTTP handler for delivery receipts: a recipient refuses a message it can never deliver, with a reason.
import { matchesAgent, RefuseRequest } from "../../protocol/index.ts";
import { mayActAs } from "../auth/authenticate.ts";
import { NumericIdPath, parsePath, readJson } from "./body.ts";
import type { Handler } from "./context.ts";
import { forbidden, notFound } from "./errors.ts";
import { addressOf } from "./visibility.ts";

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
  const message = relay.store.messages.get(id);
  if (!message) throw notFound(`message ${id}`);
  if (message.claimedBy !== body.agentId && !matchesAgent(message, addressOf(relay, body.agentId))) {
    throw forbidden(`message ${id} is not addressed to '${body.agentId}'`);
  }
  relay.store.receipts.refuse(id, body.agentId, body.reason, relay.clock.now());
  return Response.json({ ok: true });
};
