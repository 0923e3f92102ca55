// Turns a bearer token into the caller's identity: root (constant-time compare) or a runtime token's agent.
import { createHash, timingSafeEqual } from "node:crypto";
import { OPERATOR_PROFILE } from "../../protocol/index.ts";
import type { Clock } from "../../util/clock.ts";
import type { TokenStore } from "../store/types.ts";
import type { RuntimeClaims, TokenSigner } from "./tokens.ts";

export type Principal = { kind: "root" } | { kind: "runtime"; claims: RuntimeClaims };

export type AuthFailure = { code: "unauthorized" | "token_expired"; message: string };
export type AuthResult = { ok: true; principal: Principal } | ({ ok: false } & AuthFailure);

export class Authenticator {
  private readonly rootDigest: Buffer;

  constructor(
    rootToken: string,
    private readonly signer: TokenSigner,
    private readonly tokens: Pick<TokenStore, "isRevoked">,
    private readonly clock: Clock,
  ) {
    this.rootDigest = digest(rootToken);
  }

  /** Resolve an `Authorization` header value (may be null). */
  async fromHeader(header: string | null): Promise<AuthResult> {
    if (!header)
      return { ok: false, code: "unauthorized", message: "missing Authorization: Bearer <token> header" };
    // The scheme name is case-insensitive (RFC 9110).
    const match =
      header.length > 7 && header.slice(0, 7).toLowerCase() === "bearer " ? header.slice(7).trim() : "";
    if (!match)
      return { ok: false, code: "unauthorized", message: "Authorization header must be 'Bearer <token>'" };
    return this.fromToken(match);
  }

  async fromToken(token: string): Promise<AuthResult> {
    // Digests have equal length, so timingSafeEqual never throws and the comparison time does not depend on the token.
    if (timingSafeEqual(digest(token), this.rootDigest)) return { ok: true, principal: { kind: "root" } };
    const verified = await this.signer.verify(token);
    if (!verified.ok) {
      return verified.reason === "expired"
        ? { ok: false, code: "token_expired", message: "token expired; renew it or ask for a new one" }
        : { ok: false, code: "unauthorized", message: "invalid token" };
    }
    if (this.tokens.isRevoked(verified.claims.jti, this.clock.now())) {
      return { ok: false, code: "unauthorized", message: "token was revoked (superseded by a renewal)" };
    }
    return { ok: true, principal: { kind: "runtime", claims: verified.claims } };
  }
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** The agent id a principal acts as; root acts as "root" unless it names someone. */
export function actingAgent(p: Principal): string {
  return p.kind === "root" ? "root" : p.claims.agentId;
}

/** True when the principal may act as `agentId`: root for anyone, a runtime token only for its own agent. */
export function mayActAs(p: Principal, agentId: string): boolean {
  return p.kind === "root" || p.claims.agentId === agentId;
}

/** True for an operator token (see OPERATOR_PROFILE and docs/security.md). */
export function isOperator(p: Principal): boolean {
  return p.kind === "runtime" && p.claims.profileId === OPERATOR_PROFILE;
}
