// HTTP handlers for runtime tokens: minting (root only), single-use renewal, and revocation.
import {
  BUS_CLOSE,
  CreateTokenRequest,
  OPERATOR_PROFILE,
  RENEWABLE_PROFILES,
  RESERVED_AGENT_IDS,
  RevokeTokenRequest,
} from "../../protocol/index.ts";
import { readJson } from "./body.ts";
import type { Handler, Relay } from "./context.ts";
import { forbidden, invalid, relayError } from "./errors.ts";

/** Lifetime assumed for a revoked jti the relay has no issue record of (the longest a token can live). */
const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

export const createToken: Handler = async (req, { relay, principal }) => {
  if (principal.kind !== "root") throw forbidden("only the root token can mint tokens");
  const body = await readJson(req, CreateTokenRequest, relay.limits.jsonBodyBytes);
  // A command's `from` says "root" for the root token: no runtime token may act as an agent of that name.
  if (RESERVED_AGENT_IDS.includes(body.agentId)) {
    throw invalid(`agentId '${body.agentId}' is reserved (${RESERVED_AGENT_IDS.join(", ")}); choose another`);
  }
  // A person's name must not be an agent's: the operator token would act as that agent.
  if (body.profileId === OPERATOR_PROFILE && (await relay.store.agents.get(body.agentId))) {
    throw relayError(
      "conflict",
      `'${body.agentId}' is a registered agent; an operator needs a name of its own`,
    );
  }
  return Response.json(await issue(relay, body.agentId, body.profileId, body.ttlSeconds));
};

/** Who the caller's token acts as: root, or the agent (or operator) name with its profile and expiry. */
export const whoami: Handler = (_req, { principal }) => {
  if (principal.kind === "root") return Response.json({ kind: "root", name: "root" });
  const { agentId, profileId, exp } = principal.claims;
  return Response.json({
    kind: principal.claims.profileId === OPERATOR_PROFILE ? "operator" : "agent",
    name: agentId,
    profileId,
    expiresAt: exp,
  });
};

/**
 * A renewal keeps agent, profile and lifetime and gets a new jti. The old token keeps working for
 * `tokenGraceMs` so in-flight requests and a reconnect can finish; open bus sessions are not kicked.
 * Renewal is single-use: a token that was already renewed (or revoked) cannot renew again (401).
 */
export const renewToken: Handler = async (_req, { relay, principal }) => {
  if (principal.kind !== "runtime")
    throw invalid("only runtime tokens renew; the root token does not expire");
  const { claims } = principal;
  if (!(RENEWABLE_PROFILES as readonly string[]).includes(claims.profileId)) {
    throw forbidden(`tokens of profile '${claims.profileId}' are not renewable`);
  }
  const ttlSeconds = Math.max(1, claims.exp - claims.iat);
  const now = relay.clock.now();
  // Checked and revoked in one step before the token is minted: of racing renewals exactly one goes on.
  if (!(await relay.store.tokens.supersede(claims.jti, now + relay.tokenGraceMs, claims.exp, now))) {
    throw relayError(
      "unauthorized",
      "this token was already renewed (or revoked); renew with the token that renewal returned",
    );
  }
  return Response.json(await issue(relay, claims.agentId, claims.profileId, ttlSeconds));
};

/**
 * Revoke at once. Root: one token by `jti`, or every token issued to `agentId`. A runtime token: only itself
 * (an empty body, or its own `jti`). Open bus sessions are not closed; new requests and hellos are refused.
 */
export const revokeToken: Handler = async (req, { relay, principal }) => {
  const body = await readJson(req, RevokeTokenRequest, relay.limits.jsonBodyBytes);
  const now = relay.clock.now();
  const { tokens } = relay.store;
  if (principal.kind === "runtime") {
    const { claims } = principal;
    if (body.agentId !== undefined || (body.jti !== undefined && body.jti !== claims.jti)) {
      throw forbidden("a runtime token can only revoke itself; send an empty body or its own jti");
    }
    await tokens.revoke(claims.jti, now, claims.exp, now);
    endRevokedSessions(relay, (s) => s.jti === claims.jti);
    return Response.json({ ok: true, revoked: 1 });
  }
  if (body.agentId !== undefined) {
    const revoked = await tokens.revokeAgent(body.agentId, now);
    // Sessions opened with one of the agent's tokens; a root-token session for the agent did not use one.
    endRevokedSessions(relay, (s) => s.agentId === body.agentId && s.jti !== undefined);
    return Response.json({ ok: true, revoked });
  }
  if (body.jti === undefined) throw invalid("invalid body: give jti or agentId");
  const expiresAt = (await tokens.issuedExpiry(body.jti)) ?? Math.floor(now / 1000) + MAX_TOKEN_TTL_SECONDS;
  await tokens.revoke(body.jti, now, expiresAt, now);
  endRevokedSessions(relay, (s) => s.jti === body.jti);
  return Response.json({ ok: true, revoked: 1 });
};

/** A revoked token also ends the bus sessions its hello opened (a renewal's grace revocation does not: see renew). */
function endRevokedSessions(relay: Relay, matches: Parameters<Relay["hub"]["endSessions"]>[0]): void {
  relay.hub.endSessions(matches, BUS_CLOSE.unauthorized, "token revoked");
}

async function issue(relay: Relay, agentId: string, profileId: string, ttlSeconds: number) {
  const answer = await relay.signer.issue(agentId, profileId, ttlSeconds);
  await relay.store.tokens.recordIssued(
    answer.record.jti,
    agentId,
    answer.record.expiresAt,
    relay.clock.now(),
  );
  return answer;
}
