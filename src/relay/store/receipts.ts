// Delivery receipts: one row per (message, recipient agent) with its latest state, which only moves forward.
import type { Database, Statement } from "bun:sqlite";
import { RECEIPT_RANK, type Receipt, type ReceiptState } from "../../protocol/index.ts";
import type * as contract from "./types.ts";

// The rank of the stored state, in SQL (the same order as RECEIPT_RANK).
const STORED_RANK = `CASE state ${Object.entries(RECEIPT_RANK)
  .map(([state, rank]) => `WHEN '${state}' THEN ${rank}`)
  .join(" ")} END`;

interface ReceiptRow {
  agent_id: string;
  state: ReceiptState;
  reason: string | null;
  at: number;
  mid_turn: number | null;
}

export class ReceiptStore implements contract.ReceiptStore {
  private readonly refuseStmt: Statement<unknown, [Record<string, string | number>]>;
  private readonly readStmt: Statement<unknown, [Record<string, string | number>]>;
  private readonly releaseStmt: Statement<unknown, [Record<string, string | number>]>;
  private readonly forMessageStmt: Statement<ReceiptRow, [number]>;
  private readonly refuseTx: (id: number, agent: string, reason: string, now: number) => boolean;
  private readonly advanceStmt: Statement<unknown, [Record<string, string | number | null>]>;
  private readonly midTurnStmt: Statement<{ mid_turn: number | null }, [number, string]>;
  private readonly lateMidTurnStmt: Statement<unknown, [Record<string, string | number>]>;

  constructor(db: Database) {
    // A refusal is final: refusing again keeps the first reason and time.
    this.refuseStmt = db.query(
      `INSERT INTO message_receipts (message_id, agent_id, state, reason, at)
       VALUES (:id, :agent, 'refused', :reason, :now)
       ON CONFLICT (message_id, agent_id) DO UPDATE SET state = 'refused', reason = :reason, at = :now
       WHERE state != 'refused'`,
    );
    this.readStmt = db.query(
      "INSERT OR IGNORE INTO message_reads (message_id, agent_id, at) VALUES (:id, :agent, :now)",
    );
    this.releaseStmt = db.query(
      `UPDATE messages SET claimed_by = NULL, claim_expires_at = NULL
       WHERE id = :id AND claimed_by = :agent AND completed_at IS NULL`,
    );
    this.forMessageStmt = db.query(
      "SELECT agent_id, state, reason, at, mid_turn FROM message_receipts WHERE message_id = ? ORDER BY at, agent_id",
    );
    // How the message reached the model (mid_turn) is learnt with `seen` and kept by the states after it.
    this.advanceStmt = db.query(
      `INSERT INTO message_receipts (message_id, agent_id, state, reason, at, mid_turn)
       VALUES (:id, :agent, :state, NULL, :now, :midTurn)
       ON CONFLICT (message_id, agent_id) DO UPDATE SET state = :state, reason = NULL, at = :now,
         mid_turn = COALESCE(:midTurn, mid_turn)
       WHERE ${STORED_RANK} < :rank`,
    );
    this.midTurnStmt = db.query(
      "SELECT mid_turn FROM message_receipts WHERE message_id = ? AND agent_id = ?",
    );
    // The runner's `seen` can come after a reply already moved the receipt on: what it says of mid-turn still counts.
    this.lateMidTurnStmt = db.query(
      `UPDATE message_receipts SET mid_turn = :midTurn
       WHERE message_id = :id AND agent_id = :agent AND mid_turn IS NULL AND state IN ('seen', 'answered')`,
    );
    this.refuseTx = db.transaction((id: number, agent: string, reason: string, now: number) => {
      const { changes } = this.refuseStmt.run({ id, agent, reason, now });
      this.readStmt.run({ id, agent, now });
      this.releaseStmt.run({ id, agent });
      return changes > 0;
    });
  }

  /**
   * The agent can never deliver the message: store the refusal, mark the message read for that agent (so its
   * inbox never lists it again) and give back its claim (another agent may be able to take it). One transaction.
   * The caller checks the message exists. Answers whether the receipt moved (false: it was refused before).
   */
  async refuse(messageId: number, agentId: string, reason: string, now: number): Promise<boolean> {
    return this.refuseTx(messageId, agentId, reason, now);
  }

  /**
   * Move the agent's receipt for the message to `state` if that is further on than where it stands; answers the
   * new receipt, or undefined when it stood there or further already. The caller checks the message concerns
   * the agent. `refused` goes through refuse(), which also settles the inbox. `midTurn` comes with `seen`.
   */
  async advance(
    messageId: number,
    agentId: string,
    state: Exclude<ReceiptState, "refused">,
    now: number,
    midTurn?: boolean,
  ): Promise<Receipt | undefined> {
    const rank = RECEIPT_RANK[state];
    const mid = midTurn === undefined ? null : midTurn ? 1 : 0;
    const { changes } = this.advanceStmt.run({
      id: messageId,
      agent: agentId,
      state,
      now,
      rank,
      midTurn: mid,
    });
    if (changes === 0) {
      if (mid !== null) this.lateMidTurnStmt.run({ id: messageId, agent: agentId, midTurn: mid });
      return undefined;
    }
    // A state after `seen` keeps what `seen` learnt.
    const kept = midTurn === undefined ? this.midTurnStmt.get(messageId, agentId)?.mid_turn : mid;
    return { agentId, state, at: now, ...(kept != null ? { midTurn: kept === 1 } : {}) };
  }

  async forMessage(messageId: number): Promise<Receipt[]> {
    return this.forMessageStmt.all(messageId).map((r) => ({
      agentId: r.agent_id,
      state: r.state,
      ...(r.reason !== null ? { reason: r.reason } : {}),
      at: r.at,
      ...(r.mid_turn !== null ? { midTurn: r.mid_turn === 1 } : {}),
    }));
  }
}
