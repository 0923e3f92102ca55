// HTTP handlers for the batch forms of read, claim and complete: many message ids, one call, one transaction.

import type { z } from "zod";
import {
  type BatchClaimAnswer,
  BatchClaimRequest,
  type BatchCompleteAnswer,
  BatchCompleteRequest,
  BatchReadRequest,
  matchesAgent,
} from "../../protocol/index.ts";
import type { ClaimOutcome, MessageAddressing, SettleOutcome } from "../store/types.ts";
import { readJson } from "./body.ts";
import { type Call, type Handler, ownAgentParam } from "./context.ts";
import { forbidden, invalid, notFound } from "./errors.ts";
import { addressOf, mayMarkRead } from "./visibility.ts";

/**
 * Marks every id read for the agent in the path, or none: a missing id is a 404 and, for a runtime token, one
 * it may not mark (the single read's rule) a 403, both naming the ids, before anything is written.
 */
export const markReadMany: Handler = async (req, call) => {
  const { agentId, ids } = await readBatch(req, call, BatchReadRequest, (row, address) =>
    mayMarkRead(call.principal, row, address),
  );
  // An id deleted between the checks and the write (retention) is skipped by the store.
  const read = await call.relay.store.claims.markReadMany(ids, agentId, call.relay.clock.now());
  return Response.json({ ok: true, read });
};

/**
 * Claims each id in order as POST /v1/messages/:id/claim would; losing a race is a conflict entry, not an error.
 * For a runtime token every id must be addressed to the agent, else the whole batch is a 403 naming them.
 */
export const claimMany: Handler = async (req, call) => {
  const { agentId, body, ids } = await readBatch(req, call, BatchClaimRequest, matchesAgent);
  const { relay } = call;
  const outcomes = await relay.store.claims.claimMany(
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
  // Only the holder can complete, so addressing needs no check here.
  const { agentId, ids } = await readBatch(req, call, BatchCompleteRequest, () => true);
  const { relay } = call;
  const outcomes = await relay.store.claims.completeMany(ids, agentId, relay.clock.now());
  const answer: BatchCompleteAnswer = { ok: true, completed: 0, conflicts: [], notClaimable: [] };
  outcomes.forEach((o, i) => {
    if (o.ok) answer.completed++;
    else sortRefusal(answer, ids[i]!, o);
  });
  answer.ok = answer.completed === ids.length;
  return Response.json(answer);
};

function distinctIds(ids: number[]): number[] {
  if (new Set(ids).size !== ids.length) throw invalid("body.messageIds: ids must be distinct");
  return ids;
}

/**
 * The path's agent and the body's distinct ids, every one existing (else a 404 naming the missing); for a runtime
 * token every one must also pass `allowed` (else a 403 naming the refused), all before anything is written.
 */
async function readBatch<B extends { messageIds: number[] }>(
  req: Parameters<Handler>[0],
  call: Call,
  schema: z.ZodType<B>,
  allowed: (row: MessageAddressing, address: Awaited<ReturnType<typeof addressOf>>) => boolean,
): Promise<{ agentId: string; body: B; ids: number[] }> {
  const agentId = ownAgentParam(req, call);
  const body = await readJson(req, schema, call.relay.limits.jsonBodyBytes);
  const ids = distinctIds(body.messageIds);
  const rows = await call.relay.store.messages.addressing(ids);
  requireAll(ids, rows);
  if (call.principal.kind === "runtime") {
    const address = await addressOf(call.relay, agentId);
    const refused = ids.filter((id) => !allowed(rows.get(id)!, address));
    if (refused.length > 0) throw forbidden(`message(s) ${refused.join(", ")} not addressed to '${agentId}'`);
  }
  return { agentId, body, ids };
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
