// Lease rows on PostgreSQL: one holder (agent + runner instance) per key until expires_at. An acquire runs in one
// transaction under two advisory locks (the agent's, for its lease count, then the key's, which may have no row
// yet to lock), so two relays never both win a key nor push an agent past its limit.
import type { SQL } from "bun";
import { nanoid } from "nanoid";
import type { Lease } from "../../../protocol/index.ts";
import { num, toLease } from "../mappers.ts";
import type { AcquirePolicy, AcquireResult, LeaseClaim, RenewResult } from "../records.ts";
import type * as contract from "../types.ts";

export class PgLeaseStore implements contract.LeaseStore {
  constructor(private readonly sql: SQL) {}

  async acquire(c: LeaseClaim, p: AcquirePolicy): Promise<AcquireResult> {
    return this.sql.begin(async (tx): Promise<AcquireResult> => {
      // Always the agent first, then the key: one order everywhere, so two acquires never deadlock.
      await tx`SELECT pg_advisory_xact_lock(hashtext(${`lease-agent:${c.agentId}`}))`;
      await tx`SELECT pg_advisory_xact_lock(hashtext(${`lease-key:${c.key}`}))`;
      const [row] = await tx`SELECT * FROM leases WHERE key = ${c.key}`;
      const current = row && num(row.expires_at) > p.now ? toLease(row) : undefined;
      const expiresAt = p.now + p.ttlMs;
      if (current && current.agentId === c.agentId && current.instanceId === c.instanceId) {
        const [renewed] = await tx`UPDATE leases SET renewed_at = ${p.now}, expires_at = ${expiresAt}
          WHERE id = ${current.id} RETURNING *`;
        return { ok: true, lease: toLease(renewed), renewed: true };
      }
      if (current && !(current.agentId === c.agentId && p.mayTakeOver(current)))
        return { ok: false, reason: "held", holder: current };
      const [count] = await tx`SELECT count(*)::int AS n FROM leases
        WHERE agent_id = ${c.agentId} AND expires_at > ${p.now} AND key <> ${c.key}`;
      const held = num(count.n);
      if (held >= p.maxPerAgent) return { ok: false, reason: "limit", held };
      const [taken] =
        await tx`INSERT INTO leases (key, id, agent_id, instance_id, meta, acquired_at, renewed_at,
          expires_at)
        VALUES (${c.key}, ${nanoid()}, ${c.agentId}, ${c.instanceId}, ${JSON.stringify(c.meta)}, ${p.now}, ${p.now},
          ${expiresAt})
        ON CONFLICT (key) DO UPDATE SET id = excluded.id, agent_id = excluded.agent_id,
          instance_id = excluded.instance_id, meta = excluded.meta, acquired_at = excluded.acquired_at,
          renewed_at = excluded.renewed_at, expires_at = excluded.expires_at
        RETURNING *`;
      return { ok: true, lease: toLease(taken), renewed: false };
    });
  }

  // One conditional write; why it touched nothing is read after.
  async renew(
    id: string,
    holder: { agentId: string; instanceId: string },
    now: number,
    ttlMs: number,
  ): Promise<RenewResult> {
    const [row] = await this.sql`UPDATE leases SET renewed_at = ${now}, expires_at = ${now + ttlMs}
      WHERE id = ${id} AND expires_at > ${now} AND agent_id = ${holder.agentId} AND instance_id = ${holder.instanceId}
      RETURNING *`;
    if (row) return { ok: true, lease: toLease(row) };
    return (await this.live(id, now)) ? { ok: false, reason: "other_holder" } : { ok: false, reason: "gone" };
  }

  async live(id: string, now: number): Promise<Lease | undefined> {
    const [row] = await this.sql`SELECT * FROM leases WHERE id = ${id} AND expires_at > ${now}`;
    return row ? toLease(row) : undefined;
  }

  async release(id: string): Promise<boolean> {
    return (await this.sql`DELETE FROM leases WHERE id = ${id} RETURNING id`).length > 0;
  }

  async list(now: number, limit: number, agentId?: string): Promise<Lease[]> {
    const agent = agentId ?? null;
    const rows = await this.sql`SELECT * FROM leases WHERE expires_at > ${now}
        AND (${agent}::text IS NULL OR agent_id = ${agent})
      ORDER BY acquired_at, key COLLATE "C" LIMIT ${limit}`;
    return rows.map(toLease);
  }

  // The holder must also be its agent's registered instance with a heartbeat within 3 intervals (the offline
  // rule): an open socket alone is not a live runner.
  async renewHolders(
    holders: readonly { agentId: string; instanceId: string }[],
    now: number,
    ttlMs: number,
  ): Promise<number> {
    if (holders.length === 0) return 0;
    const agents = holders.map((h) => h.agentId);
    const instances = holders.map((h) => h.instanceId);
    const rows = await this.sql`UPDATE leases SET renewed_at = ${now}, expires_at = ${now + ttlMs}
      WHERE expires_at > ${now}
        AND (agent_id, instance_id) IN (SELECT * FROM unnest(${agents}::text[], ${instances}::text[]))
        AND EXISTS (SELECT 1 FROM agents a WHERE a.id = leases.agent_id AND a.instance_id = leases.instance_id
          AND a.last_heartbeat_at + 3 * a.heartbeat_interval_ms > ${now})
      RETURNING id`;
    return rows.length;
  }

  async deleteExpired(now: number): Promise<number> {
    return (await this.sql`DELETE FROM leases WHERE expires_at <= ${now} RETURNING id`).length;
  }
}
