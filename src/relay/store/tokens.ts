// Persistent token state: the JWT signing secret (made once), issued token ids per agent, and revoked token ids
// (mirrored in memory). Rows whose token has expired no longer matter and are pruned on every write.
import type { Database, Statement } from "bun:sqlite";
import { randomBytes } from "node:crypto";
import type * as contract from "./types.ts";

interface Revocation {
  /** Epoch ms from which the jti is refused. */
  effectiveAt: number;
  /** Epoch s: the token's own expiry, after which the row can go. */
  expiresAt: number;
}

type Params = Record<string, string | number>;

export class TokenStore implements contract.TokenStore {
  private readonly revoked = new Map<string, Revocation>();
  /** Epoch s of the earliest expiry in `revoked`: the in-memory prune scans only once it has passed. */
  private nextExpiry = Number.POSITIVE_INFINITY;
  private readonly revokeStmt: Statement<unknown, [Params]>;
  private readonly supersedeStmt: Statement<unknown, [Params]>;
  private readonly issueStmt: Statement<unknown, [Params]>;
  private readonly issuedByAgentStmt: Statement<{ jti: string; expires_at: number }, [Params]>;
  private readonly issuedByJtiStmt: Statement<{ expires_at: number }, [string]>;
  private readonly pruneStmts: Statement<unknown, [Params]>[];

  constructor(private readonly db: Database) {
    // Revocations are few and checked on every request, so they are served from memory and written through.
    for (const row of db
      .query<{ jti: string; effective_at: number; expires_at: number }, []>(
        "SELECT jti, effective_at, expires_at FROM revoked_tokens",
      )
      .all()) {
      this.remember(row.jti, { effectiveAt: row.effective_at, expiresAt: row.expires_at });
    }
    // Keep the earliest revocation time: revoking an already revoked token must not push its time later.
    this.revokeStmt = db.query(
      `INSERT INTO revoked_tokens (jti, effective_at, expires_at) VALUES (:jti, :effectiveAt, :expiresAt)
       ON CONFLICT (jti) DO UPDATE SET effective_at = min(effective_at, excluded.effective_at)`,
    );
    this.supersedeStmt = db.query(
      `INSERT INTO revoked_tokens (jti, effective_at, expires_at) VALUES (:jti, :effectiveAt, :expiresAt)
       ON CONFLICT (jti) DO NOTHING`,
    );
    this.issueStmt = db.query(
      "INSERT OR REPLACE INTO issued_tokens (jti, agent_id, expires_at) VALUES (:jti, :agentId, :expiresAt)",
    );
    this.issuedByAgentStmt = db.query(
      "SELECT jti, expires_at FROM issued_tokens WHERE agent_id = :agentId AND expires_at > :nowSeconds",
    );
    this.issuedByJtiStmt = db.query("SELECT expires_at FROM issued_tokens WHERE jti = ?");
    this.pruneStmts = [
      db.query("DELETE FROM revoked_tokens WHERE expires_at <= :nowSeconds"),
      db.query("DELETE FROM issued_tokens WHERE expires_at <= :nowSeconds"),
    ];
  }

  /** The HS256 secret for runtime tokens; generated on first start so tokens survive restarts. */
  async signingSecret(): Promise<Uint8Array> {
    const get = this.db.query<{ value: string }, [string]>("SELECT value FROM settings WHERE key = ?");
    const existing = get.get("jwt_secret");
    if (existing) return Buffer.from(existing.value, "base64");
    const secret = randomBytes(32).toString("base64");
    this.db.query("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)").run("jwt_secret", secret);
    return Buffer.from(get.get("jwt_secret")!.value, "base64");
  }

  /** Remember a token minted or renewed for `agentId` (`expiresAt` epoch s), so revokeAgent can find it. */
  async recordIssued(jti: string, agentId: string, expiresAt: number, now: number): Promise<void> {
    this.prune(now);
    this.issueStmt.run({ jti, agentId, expiresAt });
  }

  /** Revoke `jti` from `effectiveAt` (epoch ms) on; `expiresAt` (epoch s) says when the row stops mattering. */
  async revoke(jti: string, effectiveAt: number, expiresAt: number, now: number): Promise<void> {
    this.revokeNow(jti, effectiveAt, expiresAt, now);
  }

  /**
   * A renewal's revocation: written only when `jti` has none on record yet, decided by the database in one
   * statement, so it holds for several connections on one file too, not just for this process's mirror.
   */
  async supersede(jti: string, effectiveAt: number, expiresAt: number, now: number): Promise<boolean> {
    this.prune(now);
    if (this.supersedeStmt.run({ jti, effectiveAt, expiresAt }).changes === 0) return false;
    this.remember(jti, { effectiveAt, expiresAt });
    return true;
  }

  private revokeNow(jti: string, effectiveAt: number, expiresAt: number, now: number): void {
    this.prune(now);
    this.revokeStmt.run({ jti, effectiveAt, expiresAt });
    const prior = this.revoked.get(jti);
    this.remember(jti, {
      effectiveAt: prior === undefined ? effectiveAt : Math.min(prior.effectiveAt, effectiveAt),
      expiresAt: Math.max(prior?.expiresAt ?? 0, expiresAt),
    });
  }

  /** Revoke, from `now`, every unexpired token recorded for `agentId`; answers how many. */
  async revokeAgent(agentId: string, now: number): Promise<number> {
    const rows = this.issuedByAgentStmt.all({ agentId, nowSeconds: Math.floor(now / 1000) });
    this.db.transaction(() => {
      for (const r of rows) this.revokeNow(r.jti, now, r.expires_at, now);
    })();
    return rows.length;
  }

  /** True while `agentId` holds an unexpired, unrevoked token (a person with an operator token counts as present). */
  async hasLiveToken(agentId: string, now: number): Promise<boolean> {
    return this.issuedByAgentStmt
      .all({ agentId, nowSeconds: Math.floor(now / 1000) })
      .some((r) => !this.isRevoked(r.jti, now));
  }

  /** The recorded expiry (epoch s) of an issued token, if it was recorded and has not been pruned. */
  async issuedExpiry(jti: string): Promise<number | undefined> {
    return this.issuedByJtiStmt.get(jti)?.expires_at;
  }

  isRevoked(jti: string, now: number): boolean {
    const r = this.revoked.get(jti);
    return r !== undefined && r.effectiveAt <= now;
  }

  /** How many revocations are on record (in memory and on disk they are the same set). */
  revokedCount(): number {
    return this.revoked.size;
  }

  /** Drop revocations and issue records of tokens that have expired: an expired token is refused anyway. */
  prune(now: number): void {
    const nowSeconds = Math.floor(now / 1000);
    for (const stmt of this.pruneStmts) stmt.run({ nowSeconds });
    if (nowSeconds < this.nextExpiry) return;
    this.nextExpiry = Number.POSITIVE_INFINITY;
    for (const [jti, r] of this.revoked) {
      if (r.expiresAt <= nowSeconds) this.revoked.delete(jti);
      else this.nextExpiry = Math.min(this.nextExpiry, r.expiresAt);
    }
  }

  private remember(jti: string, r: Revocation): void {
    this.revoked.set(jti, r);
    this.nextExpiry = Math.min(this.nextExpiry, r.expiresAt);
  }
}
