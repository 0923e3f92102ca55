// HTTP handlers for agents: list/get/deregister, the HTTP liveness paths, unread messages and reply obligations.

import type { z } from "zod";
import {
  AgentReadyRequest,
  AgentStatusRequest,
  BUS_CLOSE,
  DeregisterQuery,
  HeartbeatRequest,
  LivenessRequest,
  targetsFor,
  UnreadQuery,
} from "../../protocol/index.ts";
import type { Recipient } from "../store/types.ts";
import { parseQuery, readJson } from "./body.ts";
import { agentIdParam, type Handler, ownAgentParam, type Relay, requireAgent } from "./context.ts";
import { relayError } from "./errors.ts";

/** Upper bound on reply obligations returned at once; they are meant to be few. */
const OBLIGATIONS_LIMIT = 1000;

export const listAgents: Handler = async (_req, { relay }) =>
  Response.json({ agents: await relay.store.agents.list() });

export const getAgent: Handler = async (req, { relay }) =>
  Response.json(await requireAgent(relay, agentIdParam(req)));

/**
 * Deregistration deletes the agent row (messages stay), revokes every token issued to the agent, and closes its
 * bus sessions with 4410 so their clients stop instead of reconnecting. With `?instanceId=` it applies only while
 * that instance is still the registered one: otherwise 409 stale_instance and nothing changes (a late DELETE
 * of an old run must not remove its successor). A later hello with a newly minted token registers again.
 */
export const deregisterAgent: Handler = async (req, call) => {
  const id = ownAgentParam(req, call);
  const { instanceId } = parseQuery(req, DeregisterQuery);
  const { relay } = call;
  const agent = await requireAgent(relay, id);
  if (instanceId !== undefined && agent.instanceId !== instanceId) {
    throw relayError(
      "stale_instance",
      `instance '${instanceId}' is not the current instance of agent '${id}'; nothing was removed`,
    );
  }
  if (!(await relay.store.agents.remove(id))) throw relayError("not_found", `agent '${id}' not found`);
  await relay.store.tokens.revokeAgent(id, relay.clock.now());
  relay.hub.endSessions((s) => s.agentId === id, BUS_CLOSE.deregistered, "agent deregistered");
  return Response.json({ ok: true });
};

export const unread: Handler = async (req, call) => {
  const id = ownAgentParam(req, call);
  const q = parseQuery(req, UnreadQuery);
  const { relay } = call;
  const recipient = await recipientFor(relay, id);
  return Response.json({
    messages: await relay.store.messages.unread(recipient, q.afterId, q.limit, relay.clock.now()),
  });
};

/** Every message addressed to the agent, read or unread (the inbox's history), oldest first; paged like unread. */
export const messageHistory: Handler = async (req, call) => {
  const id = ownAgentParam(req, call);
  const q = parseQuery(req, UnreadQuery);
  const recipient = await recipientFor(call.relay, id);
  return Response.json({
    messages: await call.relay.store.messages.history(recipient, q.afterId, q.limit),
  });
};

export const replyObligations: Handler = async (req, call) => {
  const id = ownAgentParam(req, call);
  const recipient = await recipientFor(call.relay, id);
  return Response.json({
    messages: await call.relay.store.messages.replyObligations(recipient, OBLIGATIONS_LIMIT),
  });
};

export const putStatus = livenessReport(AgentStatusRequest, (body) => ({
  status: body.status,
  semanticStatus: body.semanticStatus ?? body.status,
  meta: body.meta,
}));

export const putReady = livenessReport(AgentReadyRequest, (body) => ({ ready: body.ready }));

export const heartbeat = livenessReport(HeartbeatRequest, (body) => ({ meta: body.meta }));

/** Status, readiness and heartbeat in one report (the runner's liveness round), under the same stale_instance rule. */
export const postLiveness = livenessReport(LivenessRequest, (body) => ({
  status: body.status,
  semanticStatus: body.semanticStatus ?? body.status,
  ready: body.ready,
  meta: body.meta,
}));

type LivenessChange = Parameters<Relay["store"]["agents"]["touch"]>[1];

/** A handler for one liveness report: the path's agent, the body's change, applied by `liveness` below. */
function livenessReport<S extends z.ZodType<{ instanceId: string }>>(
  schema: S,
  change: (body: z.infer<S>) => LivenessChange,
): Handler {
  return async (req, call) => {
    const id = ownAgentParam(req, call);
    const body = await readJson(req, schema, call.relay.limits.jsonBodyBytes);
    return liveness(call.relay, id, body.instanceId, change(body));
  };
}

/**
 * An agent answers to its id, its label, and (broadcast, tags, capabilities); an unregistered one to its id and
 * broadcast. Group messages sent before the agent's first registration are not its (see AgentStore.originOf).
 */
async function recipientFor(relay: Relay, agentId: string): Promise<Recipient> {
  const agent = await relay.store.agents.get(agentId);
  const targets = agent
    ? targetsFor({ agentId, label: agent.label, tags: agent.tags, capabilities: agent.capabilities })
    : targetsFor({ agentId, tags: [], capabilities: [] });
  return { agentId, targets, originId: await relay.store.agents.originOf(agentId) };
}

/**
 * Liveness reports must come from the agent's current instance; an older instance gets 409 stale_instance.
 * A heartbeat only refreshes lastHeartbeatAt: an agent the sweep marked offline stays so until it reports a status.
 */
async function liveness(
  relay: Relay,
  id: string,
  instanceId: string,
  change: LivenessChange,
): Promise<Response> {
  const agent = await requireAgent(relay, id);
  if (agent.instanceId !== instanceId) {
    throw relayError(
      "stale_instance",
      `instance '${instanceId}' is not the current instance of agent '${id}'`,
    );
  }
  await relay.store.agents.touch(id, change, relay.clock.now());
  return Response.json(await requireAgent(relay, id));
}
