// Claims, reads and reactions on messages: each state change is one atomic SQL statement; batches are one transaction.
import type { Database, Statement } from "bun:sqlite";

import type { ClaimOutcome, ClaimRefusal, SettleOutcome } from "./records.ts";
import type * as contract from "./types.ts";

export type { ClaimOutcome, ClaimRefusal, SettleOutcome } from "./records.ts";

interface ClaimStateRow {
  claimable: number;
  claimed_by: string | null;
  claim_expires_at: number | null;
  completed_at: number | null;
}

type Params = Record<string, string | number>;

export class ClaimStore implements contract.ClaimStore {
  private readonly claimStmt: Statement<unknown, [Params]>;
  private readonly renewStmt: Statement<unknown, [Params]>;
  private readonly releaseStmt: Statement<unknown, [Params]>;
  private readonly completeStmt: Statement<unknown, [Params]>;
  private readonly stateStmt: Statement<ClaimStateRow, [number]>;
  private readonly readStmt: Statement<unknown, [Params]>;
  private readonly reactStmt: Statement<unknown, [Params]>;
  private readonly readExistingStmt: Statement<unknown, [Params]>;
  private readonly claimManyTx: (
    ids: readonly number[],
    agent: string,
    ttlMs: number,
    now: number,
  ) => ClaimOutcome[];
  private readonly completeManyTx: (ids: readonly number[], agent: string, now: number) => SettleOutcome[];
  private readonly readManyTx: (ids: readonly number[], agent: string, now: number) => number;

  constructor(db: Database) {
    // The whole race is decided here: at most one live claim, because the WHERE clause and the write are one statement.
    this.claimStmt = db.query(
      `UPDATE messages SET claimed_by = :agent, claim_expires_at = :expiresAt
       WHERE id = :id AND claimable = 1 AND completed_at IS NULL
         AND (claimed_by IS NULL OR claimed_by = :agent OR claim_expires_at <= :now)`,
    );
    // A holder whose claim lapsed but was not taken over may still renew: nobody else has it.
    this.renewStmt = db.query(
      `UPDATE messages SET claim_expires_at = :expiresAt
       WHERE id = :id AND claimable = 1 AND completed_at IS NULL AND claimed_by = :agent`,
    );
    this.releaseStmt = db.query(
      `UPDATE messages SET claimed_by = NULL, claim_expires_at = NULL
       WHERE id = :id AND claimable = 1 AND completed_at IS NULL AND claimed_by = :agent`,
    );
    this.completeStmt = db.query(
      `UPDATE messages SET completed_at = :now, claim_expires_at = NULL
       WHERE id = :id AND claimable = 1 AND completed_at IS NULL AND claimed_by = :agent`,
    );
    this.stateStmt = db.query(
      "SELECT claimable, claimed_by, claim_expires_at, completed_at FROM messages WHERE id = ?",
    );
    this.readStmt = db.query(
      "INSERT OR IGNORE INTO message_reads (message_id, agent_id, at) VALUES (:id, :agent, :now)",
    );
    // The batch's ids were checked before the transaction; one deleted since (retention) is skipped, not a failure.
    this.readExistingStmt = db.query(
      `INSERT OR IGNORE INTO message_reads (message_id, agent_id, at)
       SELECT :id, :agent, :now WHERE EXISTS (SELECT 1 FROM messages WHERE id = :id)`,
    );
    this.reactStmt = db.query(
      `INSERT OR IGNORE INTO message_reactions (message_id, agent_id, reaction, at)
       VALUES (:id, :agent, :reaction, :now)`,
    );
    // One commit per batch instead of one per message; each claim inside keeps its single-statement race rule.
    this.claimManyTx = db.transaction((ids, agent, ttlMs, now) =>
      ids.map((id) => this.claimNow(id, agent, ttlMs, now)),
    );
    this.completeManyTx = db.transaction((ids, agent, now) =>
      ids.map((id) => this.completeNow(id, agent, now)),
    );
    this.readManyTx = db.transaction((ids, agent, now) => {
      let added = 0;
      for (const id of ids) added += this.readExistingStmt.run({ id, agent, now }).changes;
      return added;
    });
  }

  async claim(id: number, agent: string, ttlMs: number, now: number): Promise<ClaimOutcome> {
    return this.claimNow(id, agent, ttlMs, now);
  }

  private claimNow(id: number, agent: string, ttlMs: number, now: number): ClaimOutcome {
    const expiresAt = now + ttlMs;
    if (this.claimStmt.run({ id, agent, expiresAt, now }).changes === 1)
      return { ok: true, claimExpiresAt: expiresAt };
    return { ok: false, ...this.refusal(id, agent) };
  }

  async renew(id: number, agent: string, ttlMs: number, now: number): Promise<ClaimOutcome> {
    const expiresAt = now + ttlMs;
    if (this.renewStmt.run({ id, agent, expiresAt }).changes === 1)
      return { ok: true, claimExpiresAt: expiresAt };
    return { ok: false, ...this.refusal(id, agent) };
  }

  async release(id: number, agent: string): Promise<SettleOutcome> {
    if (this.releaseStmt.run({ id, agent }).changes === 1) return { ok: true };
    return { ok: false, ...this.refusal(id, agent) };
  }

  /** Settle the claim for good. Completing again by the same holder is a no-op success. */
  async complete(id: number, agent: string, now: number): Promise<SettleOutcome> {
    return this.completeNow(id, agent, now);
  }

  private completeNow(id: number, agent: string, now: number): SettleOutcome {
    if (this.completeStmt.run({ id, agent, now }).changes === 1) return { ok: true };
    const refusal = this.refusal(id, agent);
    if (refusal.reason === "completed" && refusal.claimedBy === agent) return { ok: true };
    return { ok: false, ...refusal };
  }

  /** `claim` for each id, in order, in one transaction. */
  async claimMany(
    ids: readonly number[],
    agent: string,
    ttlMs: number,
    now: number,
  ): Promise<ClaimOutcome[]> {
    return this.claimManyTx(ids, agent, ttlMs, now);
  }

  /** `complete` for each id, in order, in one transaction. */
  async completeMany(ids: readonly number[], agent: string, now: number): Promise<SettleOutcome[]> {
    return this.completeManyTx(ids, agent, now);
  }

  /** Mark every id read in one transaction; answers how many were not read by `agent` before (missing ids: skipped). */
  async markReadMany(ids: readonly number[], agent: string, now: number): Promise<number> {
    return this.readManyTx(ids, agent, now);
  }

  /** Mark read; false when the message does not exist. Reading twice is a no-op. */
  async markRead(id: number, agent: string, now: number): Promise<boolean> {
    try {
      this.readStmt.run({ id, agent, now });
      return true;
    } catch (e) {
      if (isForeignKeyError(e)) return false;
      throw e;
    }
  }

  /** Record a reaction; false when the message does not exist. The same reaction twice is stored once. */
  async react(id: number, agent: string, reaction: string, now: number): Promise<boolean> {
    try {
      this.reactStmt.run({ id, agent, reaction, now });
      return true;
    } catch (e) {
      if (isForeignKeyError(e)) return false;
      throw e;
    }
  }

  private refusal(id: number, agent: string): ClaimRefusal {
    const row = this.stateStmt.get(id);
    if (!row) return { reason: "not_found" };
    if (row.claimable !== 1) return { reason: "not_claimable" };
    if (row.completed_at !== null) return { reason: "completed", claimedBy: row.claimed_by ?? "" };
    if (row.claimed_by !== null && row.claimed_by !== agent)
      return { reason: "held", claimedBy: row.claimed_by };
    return { reason: "not_holder", claimedBy: row.claimed_by ?? undefined };
  }
}

function isForeignKeyError(e: unknown): boolean {
  return e instanceof Error && /FOREIGN KEY constraint failed/.test(e.message);
}
