// Runtime tokens: HS256 JWTs (via jose) carrying jti, agentId, profileId, iat and exp.
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { nanoid } from "nanoid";
import { z } from "zod";
import type { TokenRecord } from "../../protocol/index.ts";
import type { Clock } from "../../util/clock.ts";

const ALG = "HS256";
const ISSUER = "agent-relay";

const RuntimeClaims = z.object({
  jti: z.string().min(1),
  agentId: z.string().min(1),
  profileId: z.string().min(1),
  iat: z.number().int(),
  exp: z.number().int(),
});
export type RuntimeClaims = z.infer<typeof RuntimeClaims>;

export type VerifyResult = { ok: true; claims: RuntimeClaims } | { ok: false; reason: "expired" | "invalid" };

/** Verified signatures are cached by token string so hot paths skip the HMAC; expiry is still checked each time. */
const VERIFIED_CACHE_SIZE = 1024;

export class TokenSigner {
  private readonly verified = new Map<string, RuntimeClaims>();

  constructor(
    private readonly secret: Uint8Array,
    private readonly clock: Clock,
  ) {}

  async issue(
    agentId: string,
    profileId: string,
    ttlSeconds: number,
  ): Promise<{ token: string; record: TokenRecord }> {
    const iat = Math.floor(this.clock.now() / 1000);
    const exp = iat + ttlSeconds;
    const jti = nanoid();
    const token = await new SignJWT({ agentId, profileId })
      .setProtectedHeader({ alg: ALG, typ: "JWT" })
      .setJti(jti)
      .setIssuer(ISSUER)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.secret);
    return { token, record: { jti, agentId, profileId, expiresAt: exp } };
  }

  async verify(token: string): Promise<VerifyResult> {
    const nowSeconds = Math.floor(this.clock.now() / 1000);
    const cached = this.verified.get(token);
    if (cached)
      return cached.exp > nowSeconds ? { ok: true, claims: cached } : { ok: false, reason: "expired" };
    try {
      const { payload } = await jwtVerify(token, this.secret, {
        algorithms: [ALG],
        issuer: ISSUER,
        currentDate: new Date(this.clock.now()),
        clockTolerance: 0,
      });
      const parsed = RuntimeClaims.safeParse(payload);
      if (!parsed.success) return { ok: false, reason: "invalid" };
      this.remember(token, parsed.data);
      return { ok: true, claims: parsed.data };
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) return { ok: false, reason: "expired" };
      return { ok: false, reason: "invalid" };
    }
  }

  private remember(token: string, claims: RuntimeClaims): void {
    if (this.verified.size >= VERIFIED_CACHE_SIZE) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(token, claims);
  }
}
