// Fleet view sign-in: a root or operator token is exchanged once for a random session id kept in an HttpOnly cookie.
// The token itself is never stored, echoed or put in a URL; a session ends at sign-out, at its token's expiry, when
// its token is revoked, or after SESSION_TTL_MS.
import { nanoid } from "nanoid";
import type { Clock } from "../../util/clock.ts";
import { type Authenticator, isOperator, type Principal } from "../auth/authenticate.ts";
import type { TokenStore } from "../store/types.ts";

export const SESSION_COOKIE = "fleet_session";
const SESSION_TTL_MS = 12 * 3_600_000;
/** Signed-in pages at once; the oldest session is ended to make room. */
const MAX_SESSIONS = 256;

export interface FleetSession {
  principal: Principal;
  /** Who signed in: "root" or the operator's name. */
  name: string;
  expiresAt: number;
}

export type SignIn = { ok: true; id: string; session: FleetSession } | { ok: false; message: string };

export class FleetSessions {
  private readonly sessions = new Map<string, FleetSession>();

  constructor(
    private readonly auth: Pick<Authenticator, "fromToken">,
    private readonly tokens: Pick<TokenStore, "isRevoked">,
    private readonly clock: Clock,
  ) {}

  /** Only root and operator tokens open the fleet view: an agent's token may not watch or steer the others. */
  async signIn(token: string): Promise<SignIn> {
    const auth = await this.auth.fromToken(token.trim());
    if (!auth.ok) return { ok: false, message: auth.message };
    const p = auth.principal;
    if (p.kind === "runtime" && !isOperator(p))
      return {
        ok: false,
        message: "an agent's token cannot sign in: use the root token or an operator token",
      };
    const now = this.clock.now();
    const expiresAt = Math.min(now + SESSION_TTL_MS, p.kind === "runtime" ? p.claims.exp * 1000 : Infinity);
    const session = { principal: p, name: p.kind === "root" ? "root" : p.claims.agentId, expiresAt };
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    const id = nanoid(32);
    this.sessions.set(id, session);
    return { ok: true, id, session };
  }

  /** The live session a cookie names, or undefined (unknown, expired or its token revoked: then it is ended). */
  get(id: string | undefined): FleetSession | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    const now = this.clock.now();
    const revoked = s.principal.kind === "runtime" && this.tokens.isRevoked(s.principal.claims.jti, now);
    if (now < s.expiresAt && !revoked) return s;
    this.sessions.delete(id);
    return undefined;
  }

  signOut(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }
}
