// HTTP handlers for runtime tokens: minting (root only) and renewal (runtime tokens, old jti revoked after a grace).
import { CreateTokenRequest, RENEWABLE_PROFILES } from "../../protocol/index.ts";
import { readJson } from "./body.ts";
import type { Handler } from "./context.ts";
import { forbidden, invalid } from "./errors.ts";

export const createToken: Handler = async (req, { relay, principal }) => {
  if (principal.kind !== "root") throw forbidden("only the root token can mint tokens");
  const body = await readJson(req, CreateTokenRequest, relay.limits.jsonBodyBytes);
  return Response.json(await relay.signer.issue(body.agentId, body.profileId, body.ttlSeconds));
};

/**
 * A renewal keeps agent, profile and lifetime and gets a new jti. The old token keeps working for
 * `tokenGraceMs` so in-flight requests and a reconnect can finish; open bus sessions are not kicked.
 * Renewing a superseded token again inside its grace is allowed and does not extend that grace.
 */
export const renewToken: Handler = async (_req, { relay, principal }) => {
  if (principal.kind !== "runtime")
    throw invalid("only runtime tokens renew; the root token does not expire");
  const { claims } = principal;
  if (!(RENEWABLE_PROFILES as readonly string[]).includes(claims.profileId)) {
    throw forbidden(`tokens of profile '${claims.profileId}' are not renewable`);
  }
  const ttlSeconds = Math.max(1, claims.exp - claims.iat);
  const answer = await relay.signer.issue(claims.agentId, claims.profileId, ttlSeconds);
  relay.store.tokens.revoke(claims.jti, relay.clock.now() + relay.tokenGraceMs, claims.exp);
  return Response.json(answer);
};
