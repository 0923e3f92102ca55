// Lease rows: one holder (agent + runner instance) per key until expires_at; an expired row is free for anyone.
import type { Database, Statement } from "bun:sqlite";
import { nanoid } from "nanoid";
import type { Lease } from "../../protocol/index.ts";
import { type LeaseRow, toLease } from "./mappers.ts";
import type { AcquirePolicy, AcquireResult, LeaseClaim, RenewResult } from "./records.ts";
import type * as contract from "./types.ts";

export type { AcquirePolicy, AcquireResult, LeaseClaim, RenewResult } from "./records.ts";

type Params = Record<string, string | number>;

export class LeaseStore implements contract.LeaseStore {
  private readonly byKeyStmt: Statement<LeaseRow, [string]>;
  private readonly byIdStmt: Statement<LeaseRow, [string]>;
  private readonly upsertStmt: Statement<unknown, [Params]>;
  private readonly renewStmt: Statement<unknown, [Params]>;
  private readonly deleteStmt: Statement<unknown, [string]>;
  private readonly liveStmt: Statement<LeaseRow, [Params]>;
  private readonly countStmt: Statement<{ n: number }, [Params]>;
  private readonly renewHoldersStmt: Statement<unknown, [Params]>;
  private readonly expireStmt: Statement<unknown, [number]>;

  constructor(private readonly db: Database) {
    this.byKeyStmt = db.query("SELECT * FROM leases WHERE key = ?");
    this.byIdStmt = db.query("SELECT * FROM leases WHERE id = ?");
    this.upsertStmt = db.query(
      `INSERT OR REPLACE INTO leases (key, id, agent_id, instance_id, meta, acquired_at, renewed_at, expires_at)
       VALUES (:key, :id, :agentId, :instanceId, :meta, :now, :now, :expiresAt)`,
    );
    this.renewStmt = db.query("UPDATE leases SET renewed_at = :now, expires_at = :expiresAt WHERE id = :id");
    this.deleteStmt = db.query("DELETE FROM leases WHERE id = ?");
    this.liveStmt = db.query(
      `SELECT * FROM leases WHERE expires_at > :now AND (:agentId = '' OR agent_id = :agentId)
       ORDER BY acquired_at, key LIMIT :limit`,
    );
    this.countStmt = db.query(
      "SELECT count(*) AS n FROM leases WHERE agent_id = :agentId AND expires_at > :now AND key != :key",
    );
    // `holders` is a JSON array of [agentId, instanceId] pairs. The holder must also be its agent's registered
    // instance with a heartbeat within 3 intervals (the offline rule): an open socket alone is not a live runner.
    this.renewHoldersStmt = db.query(
      `UPDATE leases SET renewed_at = :now, expires_at = :expiresAt
       WHERE expires_at > :now
         AND EXISTS (SELECT 1 FROM json_each(:holders) h
           WHERE json_extract(h.value, '$[0]') = leases.agent_id AND json_extract(h.value, '$[1]') = leases.instance_id)
         AND EXISTS (SELECT 1 FROM agents a WHERE a.id = leases.agent_id AND a.instance_id = leases.instance_id
           AND a.last_heartbeat_at + 3 * a.heartbeat_interval_ms > :now)`,
    );
    this.expireStmt = db.query("DELETE FROM leases WHERE expires_at <= ?");
  }

  /**
   * Take `c.key` for its holder: a free (absent or expired) key is taken; the same instance renews; another live
   * holder keeps it unless `mayTakeOver` says otherwise. One transaction, so two callers never both win.
   */
  async acquire(c: LeaseClaim, p: AcquirePolicy): Promise<AcquireResult> {
    return this.db.transaction((): AcquireResult => {
      const row = this.byKeyStmt.get(c.key);
      const current = row && Number(row.expires_at) > p.now ? toLease(row) : undefined;
      if (current && current.agentId === c.agentId && current.instanceId === c.instanceId) {
        this.renewStmt.run({ id: current.id, now: p.now, expiresAt: p.now + p.ttlMs });
        return { ok: true, lease: this.byId(current.id)!, renewed: true };
      }
      if (current && !(current.agentId === c.agentId && p.mayTakeOver(current)))
        return { ok: false, reason: "held", holder: current };
      const held = this.countStmt.get({ agentId: c.agentId, now: p.now, key: c.key })?.n ?? 0;
      if (held >= p.maxPerAgent) return { ok: false, reason: "limit", held };
      const id = nanoid();
      this.upsertStmt.run({
        key: c.key,
        id,
        agentId: c.agentId,
        instanceId: c.instanceId,
        meta: JSON.stringify(c.meta),
        now: p.now,
        expiresAt: p.now + p.ttlMs,
      });
      return { ok: true, lease: this.byId(id)!, renewed: false };
    })();
  }

  /** Extend a live lease held by exactly this instance. */
  async renew(
    id: string,
    holder: { agentId: string; instanceId: string },
    now: number,
    ttlMs: number,
  ): Promise<RenewResult> {
    const lease = this.liveNow(id, now);
    if (!lease) return { ok: false, reason: "gone" };
    if (lease.agentId !== holder.agentId || lease.instanceId !== holder.instanceId)
      return { ok: false, reason: "other_holder" };
    this.renewStmt.run({ id, now, expiresAt: now + ttlMs });
    return { ok: true, lease: this.byId(id)! };
  }

  /** The lease with this id, if it has not expired. */
  async live(id: string, now: number): Promise<Lease | undefined> {
    return this.liveNow(id, now);
  }

  private liveNow(id: string, now: number): Lease | undefined {
    const lease = this.byId(id);
    return lease && lease.expiresAt > now ? lease : undefined;
  }

  private byId(id: string): Lease | undefined {
    const row = this.byIdStmt.get(id);
    return row ? toLease(row) : undefined;
  }

  async release(id: string): Promise<boolean> {
    return this.deleteStmt.run(id).changes > 0;
  }

  /** Live leases, oldest first; `agentId` limits them to one holder. */
  async list(now: number, limit: number, agentId?: string): Promise<Lease[]> {
    return this.liveStmt.all({ now, agentId: agentId ?? "", limit }).map(toLease);
  }

  /** Renew every live lease whose holder is among `holders` (the instances with an open bus session). */
  async renewHolders(
    holders: readonly { agentId: string; instanceId: string }[],
    now: number,
    ttlMs: number,
  ): Promise<number> {
    if (holders.length === 0) return 0;
    const pairs = JSON.stringify(holders.map((h) => [h.agentId, h.instanceId]));
    return this.renewHoldersStmt.run({ holders: pairs, now, expiresAt: now + ttlMs }).changes;
  }

  /** Delete expired leases; answers how many went. */
  async deleteExpired(now: number): Promise<number> {
    return this.expireStmt.run(now).changes;
  }
}
