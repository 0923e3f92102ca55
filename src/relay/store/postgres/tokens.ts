// Token state on PostgreSQL: the signing secret (the first writer wins), issued token ids, revocations. Revocations
// are checked on every request, so they are mirrored in memory: loaded at open, written through, and refreshed when
// another relay revokes (NOTIFY relay_revocations, sent after each revocation written here).

import { randomBytes } from "node:crypto";
import type { SQL } from "bun";
import { num } from "../mappers.ts";
import type * as contract from "../types.ts";

/** NOTIFY channel of revocations (no payload): each relay re-reads the table into its mirror. */
export const REVOCATIONS_CHANNEL = "relay_revocations";

interface Revocation {
  /** Epoch ms from which the jti is refused. */
  effectiveAt: number;
  /** Epoch s: the token's own expiry, after which the row can go. */
  expiresAt: number;
}

export class PgTokenStore implements contract.TokenStore {
  private readonly revoked = new Map<string, Revocation>();

  private constructor(private readonly sql: SQL) {}

  /** The store with its mirror loaded. */
  static async open(sql: SQL): Promise<PgTokenStore> {
    const store = new PgTokenStore(sql);
    await store.refreshRevocations();
    return store;
  }

  /** Every revocation in the database into the mirror (another relay's too); none is ever dropped but by expiry. */
  async refreshRevocations(): Promise<void> {
    for (const row of await this.sql`SELECT jti, effective_at, expires_at FROM revoked_tokens`)
      this.remember(row.jti, num(row.effective_at), num(row.expires_at));
  }

  async signingSecret(): Promise<Uint8Array> {
    const candidate = randomBytes(32).toString("base64");
    await this
      .sql`INSERT INTO settings (key, value) VALUES ('jwt_secret', ${candidate}) ON CONFLICT DO NOTHING`;
    const [row] = await this.sql`SELECT value FROM settings WHERE key = 'jwt_secret'`;
    return Buffer.from(row.value, "base64");
  }

  async recordIssued(jti: string, agentId: string, expiresAt: number, now: number): Promise<void> {
    await this.prune(now);
    await this
      .sql`INSERT INTO issued_tokens (jti, agent_id, expires_at) VALUES (${jti}, ${agentId}, ${expiresAt})
      ON CONFLICT (jti) DO UPDATE SET agent_id = excluded.agent_id, expires_at = excluded.expires_at`;
  }

  // Keep the earliest revocation time: revoking an already revoked token must not push its time later.
  async revoke(jti: string, effectiveAt: number, expiresAt: number, now: number): Promise<void> {
    await this.prune(now);
    await revokeOn(this.sql, jti, effectiveAt, expiresAt);
    this.remember(jti, effectiveAt, expiresAt);
    await this.notify();
  }

  // Decided by the database, not the mirror: of racing renewals on any relay, one insert finds no row.
  async supersede(jti: string, effectiveAt: number, expiresAt: number, now: number): Promise<boolean> {
    await this.prune(now);
    const rows = await this.sql`INSERT INTO revoked_tokens (jti, effective_at, expires_at)
      VALUES (${jti}, ${effectiveAt}, ${expiresAt}) ON CONFLICT (jti) DO NOTHING RETURNING jti`;
    if (rows.length === 0) return false;
    this.remember(jti, effectiveAt, expiresAt);
    await this.notify();
    return true;
  }

  async revokeAgent(agentId: string, now: number): Promise<number> {
    await this.prune(now);
    const nowSeconds = Math.floor(now / 1000);
    const rows = await this.sql.begin(async (tx) => {
      const issued = await tx`SELECT jti, expires_at FROM issued_tokens
        WHERE agent_id = ${agentId} AND expires_at > ${nowSeconds}`;
      for (const r of issued) await revokeOn(tx, r.jti, now, num(r.expires_at));
      return issued;
    });
    for (const r of rows) this.remember(r.jti, now, num(r.expires_at));
    if (rows.length > 0) await this.notify();
    return rows.length;
  }

  async hasLiveToken(agentId: string, now: number): Promise<boolean> {
    const rows = await this.sql`SELECT jti FROM issued_tokens
      WHERE agent_id = ${agentId} AND expires_at > ${Math.floor(now / 1000)}`;
    return rows.some((r: { jti: string }) => !this.isRevoked(r.jti, now));
  }

  async issuedExpiry(jti: string): Promise<number | undefined> {
    const [row] = await this.sql`SELECT expires_at FROM issued_tokens WHERE jti = ${jti}`;
    return row ? num(row.expires_at) : undefined;
  }

  isRevoked(jti: string, now: number): boolean {
    const r = this.revoked.get(jti);
    return r !== undefined && r.effectiveAt <= now;
  }

  /** How many revocations the mirror holds. */
  revokedCount(): number {
    return this.revoked.size;
  }

  /** Drop revocations and issue records of expired tokens (an expired token is refused anyway), here and in memory. */
  private async prune(now: number): Promise<void> {
    const nowSeconds = Math.floor(now / 1000);
    await this.sql`DELETE FROM revoked_tokens WHERE expires_at <= ${nowSeconds}`;
    await this.sql`DELETE FROM issued_tokens WHERE expires_at <= ${nowSeconds}`;
    for (const [jti, r] of this.revoked) if (r.expiresAt <= nowSeconds) this.revoked.delete(jti);
  }

  /** Right after the commit: the other relays re-read (and read anyway on their fallback timer, if this is lost). */
  private async notify(): Promise<void> {
    await this.sql`SELECT pg_notify(${REVOCATIONS_CHANNEL}, '')`;
  }

  private remember(jti: string, effectiveAt: number, expiresAt: number): void {
    const prior = this.revoked.get(jti);
    this.revoked.set(jti, {
      effectiveAt: prior === undefined ? effectiveAt : Math.min(prior.effectiveAt, effectiveAt),
      expiresAt: Math.max(prior?.expiresAt ?? 0, expiresAt),
    });
  }
}

async function revokeOn(sql: SQL, jti: string, effectiveAt: number, expiresAt: number): Promise<void> {
  await sql`INSERT INTO revoked_tokens (jti, effective_at, expires_at) VALUES (${jti}, ${effectiveAt}, ${expiresAt})
    ON CONFLICT (jti) DO UPDATE SET effective_at = least(revoked_tokens.effective_at, excluded.effective_at)`;
}
