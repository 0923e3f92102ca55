// HTTP handlers for leases: an agent's own token acquires, renews and releases its leases; root and operators
// list and release any.
import {
  AcquireLeaseRequest,
  type Lease,
  type LeaseHeldDetails,
  ReleaseLeaseQuery,
  RenewLeaseRequest,
} from "../../protocol/index.ts";
import { isOperator, type Principal } from "../auth/authenticate.ts";
import { OpaqueIdPath, parsePath, parseQuery, readJson } from "./body.ts";
import type { Handler, Relay } from "./context.ts";
import { forbidden, notFound, relayError } from "./errors.ts";
import { chargeCreate } from "./quota.ts";

/** Most leases one listing answers (agents × maxLeasesPerAgent is far below it in practice). */
const LIST_LIMIT = 1000;

export const acquireLease: Handler = async (req, call) => {
  chargeCreate(call);
  const { relay, principal } = call;
  const body = await readJson(req, AcquireLeaseRequest, relay.limits.jsonBodyBytes);
  requireOwnAgent(principal, body.agentId, "acquire");
  const { leaseTtlMs: ttlMs, maxLeasesPerAgent: maxPerAgent } = relay.quotas;
  // Only a holder of the caller's own agent can be taken over: its registered instance is read before the lease.
  const registered = (await relay.store.agents.get(body.agentId))?.instanceId;
  const result = await relay.store.leases.acquire(
    { key: body.key, agentId: body.agentId, instanceId: body.instanceId, meta: body.meta ?? {} },
    {
      now: relay.clock.now(),
      ttlMs,
      maxPerAgent,
      mayTakeOver: (holder) => holderIsGone(relay, holder, registered),
    },
  );
  if (result.ok) return Response.json({ lease: result.lease });
  if (result.reason === "limit") {
    throw relayError(
      "conflict",
      `agent '${body.agentId}' holds ${result.held} leases, the most one agent may hold; release one first`,
    );
  }
  const h = result.holder;
  const details: LeaseHeldDetails = {
    holder: { agentId: h.agentId, instanceId: h.instanceId, expiresAt: h.expiresAt },
  };
  throw relayError(
    "conflict",
    `'${h.key}' is held by agent '${h.agentId}' (runner instance ${h.instanceId}) until ${new Date(h.expiresAt).toISOString()} unless renewed`,
    details,
  );
};

export const renewLease: Handler = async (req, call) => {
  const { relay, principal } = call;
  const { id } = parsePath(req, OpaqueIdPath);
  const body = await readJson(req, RenewLeaseRequest, relay.limits.jsonBodyBytes);
  const now = relay.clock.now();
  const lease = await relay.store.leases.live(id, now);
  if (!lease) throw notFound(`lease ${id} (expired or released)`);
  requireOwnAgent(principal, lease.agentId, "renew");
  const result = await relay.store.leases.renew(
    id,
    { agentId: lease.agentId, instanceId: body.instanceId },
    now,
    relay.quotas.leaseTtlMs,
  );
  if (!result.ok) {
    throw relayError(
      "conflict",
      `lease ${id} is held by runner instance ${lease.instanceId}, not ${body.instanceId}`,
    );
  }
  return Response.json({ lease: result.lease });
};

/** Root and operators release any lease; an agent's token only its own (and with ?instanceId=, only that holder's). */
export const releaseLease: Handler = async (req, { relay, principal }) => {
  const { id } = parsePath(req, OpaqueIdPath);
  const { instanceId } = parseQuery(req, ReleaseLeaseQuery);
  const lease = await relay.store.leases.live(id, relay.clock.now());
  if (!lease) throw notFound(`lease ${id} (expired or released)`);
  if (!isAdmin(principal)) requireOwnAgent(principal, lease.agentId, "release");
  if (instanceId !== undefined && instanceId !== lease.instanceId) {
    throw relayError(
      "conflict",
      `lease ${id} is held by runner instance ${lease.instanceId}, not ${instanceId}`,
    );
  }
  await relay.store.leases.release(id);
  return Response.json({ ok: true });
};

/** Live leases: root and operators see all, an agent's token its own. */
export const listLeases: Handler = async (_req, { relay, principal }) => {
  const own = isAdmin(principal)
    ? undefined
    : principal.kind === "runtime"
      ? principal.claims.agentId
      : undefined;
  return Response.json({ leases: await relay.store.leases.list(relay.clock.now(), LIST_LIMIT, own) });
};

function isAdmin(p: Principal): boolean {
  return p.kind === "root" || isOperator(p);
}

/** Only the agent's own runtime token holds leases for it: not root, not an operator (a person), not another agent. */
function requireOwnAgent(p: Principal, agentId: string, verb: string): void {
  if (p.kind === "runtime" && !isOperator(p) && p.claims.agentId === agentId) return;
  throw forbidden(`only the token of agent '${agentId}' itself may ${verb} its leases`);
}

/**
 * Another instance of the same agent may take its lease over when that instance said hello (it is the registered
 * one) and has no open bus session now: its runner died, and the agent's new runner is taking its place. A holder
 * that has not said hello yet (a runner starting up) keeps its lease until it expires.
 */
function holderIsGone(relay: Relay, holder: Lease, registeredInstance: string | undefined): boolean {
  if (registeredInstance !== holder.instanceId) return false;
  return !relay.hub
    .connectedInstances()
    .some((i) => i.agentId === holder.agentId && i.instanceId === holder.instanceId);
}
