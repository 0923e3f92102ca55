// Claims, reads and reactions on PostgreSQL: each claim change is one conditional UPDATE … RETURNING, so of racing
// claimers (on any relay sharing the database) exactly one sees its row come back; batches are one transaction.
import type { SQL } from "bun";
import type { ClaimOutcome, ClaimRefusal, SettleOutcome } from "../records.ts";
import type * as contract from "../types.ts";

/** SQLSTATE foreign_key_violation: the message a read or reaction points at does not exist. */
const FOREIGN_KEY_VIOLATION = "23503";

export class PgClaimStore implements contract.ClaimStore {
  constructor(private readonly sql: SQL) {}

  async claim(id: number, agent: string, ttlMs: number, now: number): Promise<ClaimOutcome> {
    return claimOn(this.sql, id, agent, ttlMs, now);
  }

  async renew(id: number, agent: string, ttlMs: number, now: number): Promise<ClaimOutcome> {
    const expiresAt = now + ttlMs;
    const rows = await this.sql`UPDATE messages SET claim_expires_at = ${expiresAt}
      WHERE id = ${id} AND claimable AND completed_at IS NULL AND claimed_by = ${agent} RETURNING id`;
    if (rows.length === 1) return { ok: true, claimExpiresAt: expiresAt };
    return { ok: false, ...(await refusal(this.sql, id, agent)) };
  }

  async release(id: number, agent: string): Promise<SettleOutcome> {
    const rows = await this.sql`UPDATE messages SET claimed_by = NULL, claim_expires_at = NULL
      WHERE id = ${id} AND claimable AND completed_at IS NULL AND claimed_by = ${agent} RETURNING id`;
    if (rows.length === 1) return { ok: true };
    return { ok: false, ...(await refusal(this.sql, id, agent)) };
  }

  async complete(id: number, agent: string, now: number): Promise<SettleOutcome> {
    return completeOn(this.sql, id, agent, now);
  }

  async claimMany(
    ids: readonly number[],
    agent: string,
    ttlMs: number,
    now: number,
  ): Promise<ClaimOutcome[]> {
    return this.sql.begin((tx) => inIdOrder(ids, (id) => claimOn(tx, id, agent, ttlMs, now)));
  }

  async completeMany(ids: readonly number[], agent: string, now: number): Promise<SettleOutcome[]> {
    return this.sql.begin((tx) => inIdOrder(ids, (id) => completeOn(tx, id, agent, now)));
  }

  // One statement: the ids still stored are key-share locked (retention cannot delete them under it), ids deleted
  // since the caller's check are skipped, and the rows inserted are those the agent had not read.
  async markReadMany(ids: readonly number[], agent: string, now: number): Promise<number> {
    const rows = await this
      .sql`WITH m AS (SELECT id FROM messages WHERE id = ANY(${[...ids]}::bigint[]) FOR KEY SHARE)
      INSERT INTO message_reads (message_id, agent_id, at) SELECT id, ${agent}, ${now} FROM m
      ON CONFLICT DO NOTHING RETURNING message_id`;
    return rows.length;
  }

  async markRead(id: number, agent: string, now: number): Promise<boolean> {
    return ifMessageExists(
      this.sql`INSERT INTO message_reads (message_id, agent_id, at) VALUES (${id}, ${agent}, ${now})
        ON CONFLICT DO NOTHING`,
    );
  }

  async react(id: number, agent: string, reaction: string, now: number): Promise<boolean> {
    return ifMessageExists(
      this.sql`INSERT INTO message_reactions (message_id, agent_id, reaction, at)
        VALUES (${id}, ${agent}, ${reaction}, ${now}) ON CONFLICT DO NOTHING`,
    );
  }
}

// The whole race is decided here: the WHERE clause and the write are one statement under the row's lock.
async function claimOn(
  sql: SQL,
  id: number,
  agent: string,
  ttlMs: number,
  now: number,
): Promise<ClaimOutcome> {
  const expiresAt = now + ttlMs;
  const rows = await sql`UPDATE messages SET claimed_by = ${agent}, claim_expires_at = ${expiresAt}
    WHERE id = ${id} AND claimable AND completed_at IS NULL
      AND (claimed_by IS NULL OR claimed_by = ${agent} OR claim_expires_at <= ${now})
    RETURNING id`;
  if (rows.length === 1) return { ok: true, claimExpiresAt: expiresAt };
  return { ok: false, ...(await refusal(sql, id, agent)) };
}

/** Completing again by the same holder is a no-op success. */
async function completeOn(sql: SQL, id: number, agent: string, now: number): Promise<SettleOutcome> {
  const rows = await sql`UPDATE messages SET completed_at = ${now}, claim_expires_at = NULL
    WHERE id = ${id} AND claimable AND completed_at IS NULL AND claimed_by = ${agent} RETURNING id`;
  if (rows.length === 1) return { ok: true };
  const r = await refusal(sql, id, agent);
  if (r.reason === "completed" && r.claimedBy === agent) return { ok: true };
  return { ok: false, ...r };
}

/**
 * Run `write` for each id in ascending id order, answering in the order given. Every batch locks its rows in the
 * same order, so batches over the same messages in different orders wait for each other instead of deadlocking
 * (SQLite has one writer and never needed this). A repeated id is written in its turn, as in the given order.
 */
async function inIdOrder<T>(ids: readonly number[], write: (id: number) => Promise<T>): Promise<T[]> {
  const order = ids.map((id, at) => ({ id, at })).sort((a, b) => a.id - b.id || a.at - b.at);
  const out: T[] = new Array(ids.length);
  for (const { id, at } of order) out[at] = await write(id);
  return out;
}

/** Why the conditional write touched nothing, read after it. */
async function refusal(sql: SQL, id: number, agent: string): Promise<ClaimRefusal> {
  const [row] = await sql`SELECT claimable, claimed_by, completed_at FROM messages WHERE id = ${id}`;
  if (!row) return { reason: "not_found" };
  if (!row.claimable) return { reason: "not_claimable" };
  if (row.completed_at !== null) return { reason: "completed", claimedBy: row.claimed_by ?? "" };
  if (row.claimed_by !== null && row.claimed_by !== agent)
    return { reason: "held", claimedBy: row.claimed_by };
  return { reason: "not_holder", claimedBy: row.claimed_by ?? undefined };
}

async function ifMessageExists(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (e) {
    if ((e as { errno?: string }).errno === FOREIGN_KEY_VIOLATION) return false;
    throw e;
  }
}
