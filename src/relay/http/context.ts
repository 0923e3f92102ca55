// What every HTTP handler gets: the relay's shared parts and the authenticated caller; plus the handler wrapper.
import type { BunRequest } from "bun";
import { toErrorResponse } from "../../http/errors.ts";
import type { BunHandler } from "../../http/routes.ts";
import type { Agent, LIMITS } from "../../protocol/index.ts";
import type { Clock } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import { type Authenticator, mayActAs, type Principal } from "../auth/authenticate.ts";
import type { TokenSigner } from "../auth/tokens.ts";
import type { Hub } from "../bus/hub.ts";
import type { FleetFeed } from "../fleet/feed.ts";
import type { RelayQuotas } from "../quotas.ts";
import type { RateLimiter } from "../rate-limiter.ts";
import type { Store } from "../store/index.ts";
import type { MessageWriter } from "../store/message-writer.ts";
import { AgentIdPath, parsePath } from "./body.ts";
import { forbidden, relayError } from "./errors.ts";

export interface Relay {
  store: Store;
  auth: Authenticator;
  signer: TokenSigner;
  hub: Hub;
  /** What the fleet view's open pages are told (agents, messages, receipts). */
  feed: FleetFeed;
  /** New messages go through here (group commit), never straight to store.messages.insert. */
  writer: MessageWriter;
  clock: Clock;
  logger: Logger;
  limits: typeof LIMITS;
  quotas: RelayQuotas;
  /** Creates per runtime-token agent (root is exempt): messages, attachments, tasks, commands. */
  createLimiter: RateLimiter;
  claimTtlMs: number;
  tokenGraceMs: number;
  version: string;
}

export interface Call {
  relay: Relay;
  principal: Principal;
}

export type Handler = (req: BunRequest, call: Call) => Response | Promise<Response>;

/** Wrap a handler: authenticate first (401 on failure), turn HttpErrors into JSON, hide anything else behind a 500. */
export function authed(relay: Relay, handler: Handler): BunHandler<unknown> {
  return async (req) => {
    try {
      const auth = await relay.auth.fromHeader(req.headers.get("authorization"));
      if (!auth.ok) throw relayError(auth.code, auth.message);
      return await handler(req, { relay, principal: auth.principal });
    } catch (e) {
      // Only method and path are logged: headers carry tokens.
      return toErrorResponse(e, (err) =>
        relay.logger.error({ err, method: req.method, path: new URL(req.url).pathname }, "request failed"),
      );
    }
  };
}

/** A path parameter holding an agent id, validated. */
export function agentIdParam(req: Parameters<Handler>[0]): string {
  return parsePath(req, AgentIdPath).id;
}

export async function requireAgent(relay: Relay, agentId: string): Promise<Agent> {
  const agent = await relay.store.agents.get(agentId);
  if (!agent) throw relayError("not_found", `agent '${agentId}' not found`);
  return agent;
}

/** The agent id in the path, which the caller must be allowed to act for (root, or that agent's runtime token). */
export function ownAgentParam(req: Parameters<Handler>[0], { principal }: Call): string {
  const id = agentIdParam(req);
  if (!mayActAs(principal, id)) throw forbidden(`this token cannot act for agent '${id}'`);
  return id;
}
