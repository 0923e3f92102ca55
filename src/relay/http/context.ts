// What every HTTP handler gets: the relay's shared parts and the authenticated caller; plus the handler wrapper.
import type { BunRequest } from "bun";
import { type Agent, AgentId, type LIMITS } from "../../protocol/index.ts";
import type { Clock } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import { type Authenticator, mayActAs, type Principal } from "../auth/authenticate.ts";
import type { TokenSigner } from "../auth/tokens.ts";
import type { Hub } from "../bus/hub.ts";
import type { RelayQuotas } from "../quotas.ts";
import type { RateLimiter } from "../rate-limiter.ts";
import type { Store } from "../store/index.ts";
import type { MessageWriter } from "../store/message-writer.ts";
import { parseWith } from "./body.ts";
import { errorResponse, forbidden, HttpError } from "./errors.ts";

export interface Relay {
  store: Store;
  auth: Authenticator;
  signer: TokenSigner;
  hub: Hub;
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
export function authed(relay: Relay, handler: Handler): (req: BunRequest) => Promise<Response> {
  return async (req) => {
    try {
      const auth = await relay.auth.fromHeader(req.headers.get("authorization"));
      if (!auth.ok) throw new HttpError(auth.code, auth.message);
      return await handler(req, { relay, principal: auth.principal });
    } catch (e) {
      return toErrorResponse(relay.logger, req, e);
    }
  };
}

export function toErrorResponse(logger: Logger, req: Request, e: unknown): Response {
  if (e instanceof HttpError) return errorResponse(e);
  // Only method and path are logged: headers carry tokens.
  logger.error({ err: e, method: req.method, path: new URL(req.url).pathname }, "request failed");
  return errorResponse(new HttpError("internal", "internal error"));
}

/** A path parameter holding an agent id, percent-decoded and validated. */
export function agentIdParam(req: BunRequest, name = "id"): string {
  const raw = (req.params as Record<string, string>)[name] ?? "";
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // Keep the raw text: validation below reports it.
  }
  return parseWith(AgentId, decoded, `path parameter '${name}'`);
}

export function requireAgent(relay: Relay, agentId: string): Agent {
  const agent = relay.store.agents.get(agentId);
  if (!agent) throw new HttpError("not_found", `agent '${agentId}' not found`);
  return agent;
}

/** The agent id in the path, which the caller must be allowed to act for (root, or that agent's runtime token). */
export function ownAgentParam(req: BunRequest, { principal }: Call): string {
  const id = agentIdParam(req);
  if (!mayActAs(principal, id)) throw forbidden(`this token cannot act for agent '${id}'`);
  return id;
}
