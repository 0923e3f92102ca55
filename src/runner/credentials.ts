// The runner's current relay token and what is known about it (jti, profile, expiry) — never logged, only summarised.
import { decodeJwt } from "jose/jwt/decode";
import type { TokenAnswer, TokenRecord } from "../protocol/index.ts";
import { TypedEmitter } from "../util/emitter.ts";

export const NOT_RUNTIME =
  "the runner holds no runtime token for its agent (a root or unrecognised token is never handed to a provider)";

export class Credentials {
  private readonly emitter = new TypedEmitter<{ token: string }>();

  constructor(
    private _token: string,
    private _record: TokenRecord | undefined,
  ) {}

  /** Build from a token plus whatever the config says about it; a JWT fills in what is missing. */
  static from(token: string, known: Partial<TokenRecord>, agentId: string): Credentials {
    let claims: Record<string, unknown> = {};
    try {
      claims = decodeJwt(token) as Record<string, unknown>;
    } catch {
      // Not a JWT (a root token): nothing to renew.
    }
    const jti = known.jti ?? (typeof claims.jti === "string" ? claims.jti : undefined);
    const profileId =
      known.profileId ?? (typeof claims.profileId === "string" ? claims.profileId : undefined);
    const expiresAt = known.expiresAt ?? (typeof claims.exp === "number" ? claims.exp : undefined);
    const record =
      jti && profileId && expiresAt
        ? {
            jti,
            profileId,
            expiresAt,
            agentId: typeof claims.agentId === "string" ? claims.agentId : agentId,
          }
        : undefined;
    return new Credentials(token, record);
  }

  get token(): string {
    return this._token;
  }
  get record(): TokenRecord | undefined {
    return this._record;
  }

  /** What status meta may show: profile, jti, expiry — never the token. */
  summary(): Record<string, unknown> {
    if (!this._record) return { kind: "static" };
    return { profile: this._record.profileId, jti: this._record.jti, expiresAt: this._record.expiresAt };
  }

  /**
   * A runtime token bound to the agent, which may be handed to the provider. A root token (or any token the
   * runner cannot describe) is not: it would let the agent act as anyone.
   */
  get isRuntime(): boolean {
    return this._record !== undefined;
  }

  /** The env a provider child gets, so its skills act as this agent. Throws for a token that is not a runtime one. */
  env(): Record<string, string> {
    const record = this._record;
    if (!record) throw new Error(NOT_RUNTIME);
    return {
      AGENT_RELAY_TOKEN: this._token,
      AGENT_RELAY_TOKEN_JTI: record.jti,
      AGENT_RELAY_TOKEN_PROFILE: record.profileId,
      AGENT_RELAY_TOKEN_EXPIRES_AT: String(record.expiresAt),
    };
  }

  replace(answer: TokenAnswer): void {
    this._token = answer.token;
    this._record = answer.record;
    this.emitter.emit("token", answer.token);
  }

  onChange(listener: (token: string) => void): () => void {
    return this.emitter.on("token", listener);
  }
}
