// HTTP handlers for the batch forms of read, claim and complete: many message ids, one call, one transaction.
import {
  type BatchClaimAnswer,
  BatchClaimRequest,
  type BatchCompleteAnswer,
  BatchCompleteRequest,
  BatchReadRequest,
  matchesAgent,
} from "../../protocol/index.ts";
import type { ClaimOutcome, SettleOutcome } from "../store/claims.ts";
import { readJson } from "./body.ts";
import { type Handler, ownAgentParam } from "./context.ts";
import { forbidden, invalid, notFound } from "./errors.ts";
import { addressOf, mayMarkRead } from "./visibility.ts";

/**
 * Marks every id read for the agent in the path, or none: a missing id is a 404 and, for a runtime token, one
 * it may not mark (the single read's rule) a 403, both naming the ids, before anything is written.
 */
export const markReadMany: Handler = async (req, call) => {
  const agentId = ownAgentParam(req, call);
  const body = await readJson(req, BatchReadRequest, call.relay.limits.jsonBodyBytes);
  const ids = distinctIds(body.messageIds);
  const { relay } = call;
  const rows = relay.store.messages.addressing(ids);
  requireAll(ids, rows);
  if (call.principal.kind === "runtime") {
    const address = addressOf(relay, agentId);
    const refused = ids.filter((id) => !mayMarkRead(call.principal, rows.get(id)!, address));
    if (refused.length > 0) {
      throw forbidden(`message(s) ${refused.join(", ")} not addressed to '${agentId}'`);
    }
  }
  // No await between the checks and the write: nothing can interleave on the relay's one thread.
  const read = relay.store.claims.markReadMany(ids, agentId, relay.clock.now());
  return Response.json({ ok: true, read });
};

/**
 * Claims each id in order as POST /v1/messages/:id/claim would; losing a race is a conflict entry, not an error.
 * For a runtime token every id must be addressed to the agent, else the whole batch is a 403 naming them.
 */
export const claimMany: Handler = async (req, call) => {
  const agentId = ownAgentParam(req, call);
  const body = await readJson(req, BatchClaimRequest, call.relay.limits.jsonBodyBytes);
  const ids = distinctIds(body.messageIds);
  const { relay } = call;
  const rows = relay.store.messages.addressing(ids);
  requireAll(ids, rows);
  if (call.principal.kind === "runtime") {
    const address = addressOf(relay, agentId);
    const refused = ids.filter((id) => !matchesAgent(rows.get(id)!, address));
    if (refused.length > 0) throw forbidden(`message(s) ${refused.join(", ")} not addressed to '${agentId}'`);
  }
  const outcomes = relay.store.claims.claimMany(
    ids,
    agentId,
    body.ttlMs ?? relay.claimTtlMs,
    relay.clock.now(),
  );
  const answer: BatchClaimAnswer = { claimed: [], conflicts: [], notClaimable: [] };
  outcomes.forEach((o, i) => {
    const id = ids[i]!;
    if (o.ok) answer.claimed.push({ id, claimExpiresAt: o.claimExpiresAt });
    else sortRefusal(answer, id, o);
  });
  return Response.json(answer);
};

/** Completes each id's claim the agent holds; ids it does not hold are conflicts (nothing changes for them). */
export const completeMany: Handler = async (req, call) => {
  const agentId = ownAgentParam(req, call);
  const body = await readJson(req, BatchCompleteRequest, call.relay.limits.jsonBodyBytes);
  const ids = distinctIds(body.messageIds);
  const { relay } = call;
  requireAll(ids, relay.store.messages.addressing(ids));
  const outcomes = relay.store.claims.completeMany(ids, agentId, relay.clock.now());
  const answer: BatchCompleteAnswer = { ok: true, completed: 0, conflicts: [], notClaimable: [] };
  outcomes.forEach((o, i) => {
    if (o.ok) answer.completed++;
    else sortRefusal(answer, ids[i]!, o);
  });
  answer.ok = answer.completed === ids.length;
  return Response.json(answer);
};

function distinctIds(ids: number[]): number[] {
  if (new Set(ids).size !== ids.length) throw invalid("invalid body: messageIds: ids must be distinct");
  return ids;
}

/** 404 naming every missing id; the batch is refused whole. */
function requireAll(ids: readonly number[], found: ReadonlyMap<number, unknown>): void {
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) throw notFound(`message(s) ${missing.join(", ")}`);
}

function sortRefusal(
  answer: Pick<BatchClaimAnswer, "conflicts" | "notClaimable">,
  id: number,
  refusal: Exclude<ClaimOutcome | SettleOutcome, { ok: true }>,
): void {
  switch (refusal.reason) {
    case "not_claimable":
      answer.notClaimable.push(id);
      return;
    case "not_found":
      // Checked before the transaction on the same thread, so not reachable; refuse rather than guess.
      throw notFound(`message ${id}`);
    default:
      answer.conflicts.push({ id, claimedBy: refusal.claimedBy ?? "" });
  }
}
