// HTTP handlers for messages: send, fetch, claim/renew/release/complete, read and reactions.

import type { z } from "zod";
import type { HttpError } from "../../http/errors.ts";
import {
  AgentRequest,
  ClaimRequest,
  type Message,
  matchesAgent,
  ReactionRequest,
  type Receipt,
  SendMessageRequest,
  UnreadQuery,
} from "../../protocol/index.ts";
import { mayActAs } from "../auth/authenticate.ts";
import type { ClaimOutcome, ClaimRefusal, SettleOutcome } from "../store/types.ts";
import { NumericIdPath, parsePath, parseQuery, readJson } from "./body.ts";
import type { Call, Handler } from "./context.ts";
import { forbidden, invalid, notFound, relayError } from "./errors.ts";
import { chargeCreate } from "./quota.ts";
import { recordAnswer } from "./receipts.ts";
import { assertMessageFits } from "./stored-size.ts";
import { addressOf, mayMarkRead, mayReadMessage, readableBy } from "./visibility.ts";

const LABEL_PREFIX = "label:";

export const sendMessage: Handler = async (req, call) => {
  chargeCreate(call);
  const { relay, principal } = call;
  const body = await readJson(req, SendMessageRequest, relay.limits.jsonBodyBytes);
  let from: string;
  if (principal.kind === "runtime") {
    if (body.from !== undefined && body.from !== principal.claims.agentId) {
      throw forbidden(`this token acts as '${principal.claims.agentId}' and cannot send as '${body.from}'`);
    }
    from = principal.claims.agentId;
  } else {
    from = body.from ?? "root";
  }
  const { store } = relay;
  if (body.replyTo !== undefined && !(await store.messages.exists(body.replyTo))) {
    throw invalid(`replyTo: message ${body.replyTo} does not exist`);
  }
  if (body.requireRecipient && !(await hasRecipient(relay, body.to))) {
    throw relayError("not_found", `no registered agent answers to '${body.to}'`);
  }
  const { refs, missing } = await store.attachments.resolve(body.attachmentIds);
  if (missing.length > 0) throw invalid(`attachmentIds: unknown attachment(s) ${missing.join(", ")}`);
  // A label held by exactly one agent pins the message to that agent, so a later holder of the label does not get it.
  const resolvedToAgent = body.to.startsWith(LABEL_PREFIX)
    ? await store.agents.soleAgentWithLabel(body.to.slice(LABEL_PREFIX.length))
    : undefined;
  const outgoing = {
    from,
    to: body.to,
    resolvedToAgent,
    kind: body.kind,
    subject: body.subject,
    body: body.body,
    claimable: body.claimable,
    urgent: body.urgent,
    replyTo: body.replyTo,
    attachments: refs,
    createdAt: relay.clock.now(),
  };
  const payloadJson = JSON.stringify(body.payload);
  assertMessageFits(outgoing, payloadJson, relay.limits.busFrameBytes);
  const message = await relay.writer.insert({ ...outgoing, payload: body.payload, payloadJson });
  if (message.replyTo !== undefined) await recordAnswer(relay, message.replyTo, from);
  return Response.json(message);
};

/** Root reads any message; a runtime token only one that concerns its agent (see mayReadMessage), else 403. */
export const getMessage: Handler = async (req, { relay, principal }) => {
  const message = await requireMessage(relay, messageId(req));
  if (!(await mayReadMessage(relay, principal, message))) throw unreadable(message.id);
  const receipts = withQueued(message, await relay.store.receipts.forMessage(message.id));
  return Response.json(receipts.length > 0 ? { ...message, receipts } : message);
};

/** A message to one agent (by id, or a label one agent held) is `queued` for it until its runner reports more. */
function withQueued(message: Message, receipts: Receipt[]): Receipt[] {
  const to = message.resolvedToAgent ?? (isBroadTarget(message.to) ? undefined : message.to);
  if (to === undefined || message.from === to || receipts.some((r) => r.agentId === to)) return receipts;
  return [{ agentId: to, state: "queued", at: message.createdAt }, ...receipts];
}

function isBroadTarget(to: string): boolean {
  return to === "broadcast" || /^(label|tag|cap):/.test(to);
}

/**
 * The conversation the message belongs to, by `replyTo`: its first stored ancestor and every reply below it.
 * The message itself needs the same right as GET; a runtime token then sees only the thread's messages it may read.
 */
export const getThread: Handler = async (req, { relay, principal }) => {
  const message = await requireMessage(relay, messageId(req));
  if (!(await mayReadMessage(relay, principal, message))) throw unreadable(message.id);
  const q = parseQuery(req, UnreadQuery);
  const thread = await relay.store.messages.thread(message.id, q.afterId, q.limit);
  const readable = await readableBy(relay, principal, thread);
  return Response.json({ messages: thread.filter((_, i) => readable[i]) });
};

/**
 * A runtime token claims only messages addressed to its agent (the same addressing as the inbox; 403 otherwise),
 * so renewing, releasing, completing and reading through a claim are its too. Root may claim on anyone's behalf.
 * Claiming again as the live holder renews the claim.
 */
export const claimMessage: Handler = async (req, call) => {
  const { id, body } = await readActing(req, call, ClaimRequest);
  const { relay } = call;
  const message = (await relay.store.messages.addressing([id])).get(id);
  if (
    message &&
    call.principal.kind === "runtime" &&
    !matchesAgent(message, await addressOf(relay, body.agentId))
  ) {
    throw forbidden(`message ${id} is not addressed to '${body.agentId}', so it cannot claim it`);
  }
  return claimAnswer(
    await relay.store.claims.claim(id, body.agentId, body.ttlMs ?? relay.claimTtlMs, relay.clock.now()),
  );
};

export const renewClaim: Handler = async (req, call) => {
  const { id, body } = await readActing(req, call, ClaimRequest);
  const { relay } = call;
  return claimAnswer(
    await relay.store.claims.renew(id, body.agentId, body.ttlMs ?? relay.claimTtlMs, relay.clock.now()),
  );
};

export const releaseClaim: Handler = async (req, call) => {
  const { id, body } = await readActing(req, call, AgentRequest);
  return settleAnswer(await call.relay.store.claims.release(id, body.agentId));
};

/** Protocol extension: the holder settles its claim for good, so nobody else is offered the message again. */
export const completeClaim: Handler = async (req, call) => {
  const { id, body } = await readActing(req, call, AgentRequest);
  return settleAnswer(await call.relay.store.claims.complete(id, body.agentId, call.relay.clock.now()));
};

export const markRead: Handler = async (req, call) => {
  const { id, body } = await readActing(req, call, AgentRequest);
  // Otherwise marking read would be a way around the read check of GET /v1/messages/:id.
  const message = await requireMessage(call.relay, id);
  if (!mayMarkRead(call.principal, message, await addressOf(call.relay, body.agentId))) {
    throw forbidden(`message ${id} is not addressed to '${body.agentId}'`);
  }
  if (!(await call.relay.store.claims.markRead(id, body.agentId, call.relay.clock.now())))
    throw notFound(`message ${id}`);
  return Response.json({ ok: true });
};

/** A reaction needs the same right as reading the message, and is refused with the same answer as GET. */
export const addReaction: Handler = async (req, call) => {
  chargeCreate(call);
  const { id, body } = await readActing(req, call, ReactionRequest);
  const message = await requireMessage(call.relay, id);
  if (!(await mayReadMessage(call.relay, call.principal, message))) throw unreadable(message.id);
  if (!(await call.relay.store.claims.react(id, body.agentId, body.reaction, call.relay.clock.now()))) {
    throw notFound(`message ${id}`);
  }
  return Response.json({ ok: true });
};

/**
 * True when a registered agent (online or not) answers to `to`, or `to` names a holder of a live token (a person
 * with an operator token reads their inbox without ever registering); `broadcast` always counts as answered.
 */
async function hasRecipient(relay: Call["relay"], to: string): Promise<boolean> {
  if (to === "broadcast") return true;
  if (!/^(label|tag|cap):/.test(to)) {
    return (
      (await relay.store.agents.get(to)) !== undefined ||
      (await relay.store.tokens.hasLiveToken(to, relay.clock.now()))
    );
  }
  return (await relay.store.agents.list()).some((a) =>
    matchesAgent({ to }, { agentId: a.id, label: a.label, tags: a.tags, capabilities: a.capabilities }),
  );
}

function unreadable(id: number): HttpError {
  return forbidden(`message ${id} is neither from, to, claimed nor read by this token's agent`);
}

function messageId(req: Parameters<Handler>[0]): number {
  return parsePath(req, NumericIdPath).id;
}

async function requireMessage(relay: Call["relay"], id: number): Promise<Message> {
  const message = await relay.store.messages.get(id);
  if (!message) throw notFound(`message ${id}`);
  return message;
}

/** The path's message id and the body, whose `agentId` the caller must be allowed to act as. */
async function readActing<S extends z.ZodType<{ agentId: string }>>(
  req: Parameters<Handler>[0],
  call: Call,
  schema: S,
): Promise<{ id: number; body: z.infer<S> }> {
  const id = messageId(req);
  const body = await readJson(req, schema, call.relay.limits.jsonBodyBytes);
  assertActsAs(call, body.agentId);
  return { id, body };
}

function assertActsAs({ principal }: Call, agentId: string): void {
  if (!mayActAs(principal, agentId)) {
    throw forbidden(
      `this token acts as '${principal.kind === "runtime" ? principal.claims.agentId : "root"}', not '${agentId}'`,
    );
  }
}

function claimAnswer(outcome: ClaimOutcome): Response {
  if (outcome.ok) return Response.json({ ok: true, claimExpiresAt: outcome.claimExpiresAt });
  throw refusalError(outcome);
}

function settleAnswer(outcome: SettleOutcome): Response {
  if (outcome.ok) return Response.json({ ok: true });
  throw refusalError(outcome);
}

/** Map a refused claim operation to its error; conflicts carry `{ok:false, claimedBy}` beside the error. */
export function refusalError(r: ClaimRefusal): HttpError {
  switch (r.reason) {
    case "not_found":
      return notFound("message");
    case "not_claimable":
      return relayError("not_claimable", "message is not claimable");
    case "completed":
      return relayError("claim_conflict", "claim already completed", undefined, {
        ok: false,
        claimedBy: r.claimedBy,
      });
    case "held":
      return relayError("claim_conflict", `claimed by '${r.claimedBy}'`, undefined, {
        ok: false,
        claimedBy: r.claimedBy,
      });
    case "not_holder":
      // claimedBy "" means nobody holds the claim right now.
      return relayError("claim_conflict", "this agent does not hold the claim", undefined, {
        ok: false,
        claimedBy: r.claimedBy ?? "",
      });
  }
}
