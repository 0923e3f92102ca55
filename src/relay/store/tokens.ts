// Persistent token state: the JWT signing secret (made once) and revoked token ids, mirrored in memory.
import type { Database, Statement } from "bun:sqlite";
import { randomBytes } from "node:crypto";

export class TokenStore {
  private readonly revoked = new Map<string, number>();
  private readonly revokeStmt: Statement<unknown, [Record<string, string | number>]>;

  constructor(private readonly db: Database) {
    // Revocations are few and checked on every request, so they are served from memory and written through.
    for (const row of db
      .query<{ jti: string; effective_at: number }, []>("SELECT jti, effective_at FROM revoked_tokens")
      .all()) {
      this.revoked.set(row.jti, row.effective_at);
    }
    // Keep the earliest revocation time: renewing a superseded token again must not extend its grace.
    this.revokeStmt = db.query(
      `INSERT INTO revoked_tokens (jti, effective_at, expires_at) VALUES (:jti, :effectiveAt, :expiresAt)
       ON CONFLICT (jti) DO UPDATE SET effective_at = min(effective_at, excluded.effective_at)`,
    );
  }

  /** The HS256 secret for runtime tokens; generated on first start so tokens survive restarts. */
  signingSecret(): Uint8Array {
    const get = this.db.query<{ value: string }, [string]>("SELECT value FROM settings WHERE key = ?");
    const existing = get.get("jwt_secret");
    if (existing) return Buffer.from(existing.value, "base64");
    const secret = randomBytes(32).toString("base64");
    this.db.query("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)").run("jwt_secret", secret);
    return Buffer.from(get.get("jwt_secret")!.value, "base64");
  }

  /** Revoke `jti` from `effectiveAt` (epoch ms) on; `expiresAt` (epoch s) says when the row stops mattering. */
  revoke(jti: string, effectiveAt: number, expiresAt: number): void {
    this.revokeStmt.run({ jti, effectiveAt, expiresAt });
    const prior = this.revoked.get(jti);
    this.revoked.set(jti, prior === undefined ? effectiveAt : Math.min(prior, effectiveAt));
  }

  isRevoked(jti: string, now: number): boolean {
    const at = this.revoked.get(jti);
    return at !== undefined && at <= now;
  }
}
