// Delivery receipts on PostgreSQL: one row per (message, recipient agent), whose state only moves forward.
import type { SQL } from "bun";
import { RECEIPT_RANK, type Receipt, type ReceiptState } from "../../../protocol/index.ts";
import { num } from "../mappers.ts";
import type * as contract from "../types.ts";

// The rank of the stored state, in SQL (the same order as RECEIPT_RANK); built from constants, never from input.
const STORED_RANK = `CASE message_receipts.state ${Object.entries(RECEIPT_RANK)
  .map(([state, rank]) => `WHEN '${state}' THEN ${rank}`)
  .join(" ")} END`;

// $1 message, $2 agent, $3 state, $4 now, $5 mid-turn (or NULL), $6 the new state's rank.
const ADVANCE = `INSERT INTO message_receipts (message_id, agent_id, state, reason, at, mid_turn)
  VALUES ($1, $2, $3, NULL, $4, $5::boolean)
  ON CONFLICT (message_id, agent_id) DO UPDATE SET state = excluded.state, reason = NULL, at = excluded.at,
    mid_turn = coalesce(excluded.mid_turn, message_receipts.mid_turn)
  WHERE ${STORED_RANK} < $6::int
  RETURNING mid_turn`;

export class PgReceiptStore implements contract.ReceiptStore {
  constructor(private readonly sql: SQL) {}

  /** The refusal (a second one keeps the first), the read mark and the claim given back, in one transaction. */
  async refuse(messageId: number, agentId: string, reason: string, now: number): Promise<boolean> {
    return this.sql.begin(async (tx) => {
      const moved = await tx`INSERT INTO message_receipts (message_id, agent_id, state, reason, at)
        VALUES (${messageId}, ${agentId}, 'refused', ${reason}, ${now})
        ON CONFLICT (message_id, agent_id) DO UPDATE SET state = 'refused', reason = excluded.reason, at = excluded.at
        WHERE message_receipts.state <> 'refused'
        RETURNING 1`;
      await tx`INSERT INTO message_reads (message_id, agent_id, at) VALUES (${messageId}, ${agentId}, ${now})
        ON CONFLICT DO NOTHING`;
      await tx`UPDATE messages SET claimed_by = NULL, claim_expires_at = NULL
        WHERE id = ${messageId} AND claimed_by = ${agentId} AND completed_at IS NULL`;
      return moved.length > 0;
    });
  }

  // One conditional upsert: it writes only when `state` ranks above the stored one, and answers the mid-turn flag
  // the row keeps (learnt with `seen`, kept by the states after it).
  async advance(
    messageId: number,
    agentId: string,
    state: Exclude<ReceiptState, "refused">,
    now: number,
    midTurn?: boolean,
  ): Promise<Receipt | undefined> {
    const rank = RECEIPT_RANK[state];
    const mid = midTurn ?? null;
    const rows = await this.sql.unsafe(ADVANCE, [messageId, agentId, state, now, mid, rank]);
    if (rows.length === 0) {
      // A `seen` that comes after a reply moved the receipt on still says how the message reached the model.
      if (mid !== null) {
        await this.sql`UPDATE message_receipts SET mid_turn = ${mid}
          WHERE message_id = ${messageId} AND agent_id = ${agentId} AND mid_turn IS NULL
            AND state IN ('seen', 'answered')`;
      }
      return undefined;
    }
    const kept: boolean | null = rows[0].mid_turn;
    return { agentId, state, at: now, ...(kept !== null ? { midTurn: kept } : {}) };
  }

  async forMessage(messageId: number): Promise<Receipt[]> {
    const rows = await this.sql`SELECT agent_id, state, reason, at, mid_turn FROM message_receipts
      WHERE message_id = ${messageId} ORDER BY at, agent_id COLLATE "C"`;
    return rows.map(
      (r: {
        agent_id: string;
        state: ReceiptState;
        reason: string | null;
        at: string;
        mid_turn: boolean | null;
      }) => ({
        agentId: r.agent_id,
        state: r.state,
        ...(r.reason !== null ? { reason: r.reason } : {}),
        at: num(r.at),
        ...(r.mid_turn !== null ? { midTurn: r.mid_turn } : {}),
      }),
    );
  }
}
