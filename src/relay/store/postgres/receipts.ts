// Delivery receipts on PostgreSQL: one row per (message, recipient agent), whose state only moves forward; each
// move is notified to the other relays on the database.
import type { SQL } from "bun";
import { RECEIPT_RANK, type Receipt, type ReceiptState } from "../../../protocol/index.ts";
import { num } from "../mappers.ts";
import type * as contract from "../types.ts";
import { RECEIPTS_CHANNEL } from "./replica-source.ts";

// The rank of the stored state, in SQL (the same order as RECEIPT_RANK); built from constants, never from input.
const STORED_RANK = `CASE message_receipts.state ${Object.entries(RECEIPT_RANK)
  .map(([state, rank]) => `WHEN '${state}' THEN ${rank}`)
  .join(" ")} END`;

// The ReceiptNotice of the rows `moved` (a CTE), with this store's origin as $origin: sent on commit.
const notify = (origin: string) => `SELECT mid_turn, pg_notify('${RECEIPTS_CHANNEL}', json_build_object(
    'messageId', message_id, 'agentId', agent_id, 'state', state, 'at', at, 'midTurn', mid_turn,
    'origin', ${origin}::text)::text) FROM moved`;

// $1 message, $2 agent, $3 state, $4 now, $5 mid-turn (or NULL), $6 the new state's rank, $7 the origin.
const ADVANCE = `WITH moved AS (INSERT INTO message_receipts (message_id, agent_id, state, reason, at, mid_turn)
  VALUES ($1, $2, $3, NULL, $4, $5::boolean)
  ON CONFLICT (message_id, agent_id) DO UPDATE SET state = excluded.state, reason = NULL, at = excluded.at,
    mid_turn = coalesce(excluded.mid_turn, message_receipts.mid_turn)
  WHERE ${STORED_RANK} < $6::int
  RETURNING message_id, agent_id, state, at, mid_turn)
  ${notify("$7")}`;

// $1 message, $2 agent, $3 reason, $4 now, $5 the origin.
const REFUSE = `WITH moved AS (INSERT INTO message_receipts (message_id, agent_id, state, reason, at)
  VALUES ($1, $2, 'refused', $3, $4)
  ON CONFLICT (message_id, agent_id) DO UPDATE SET state = 'refused', reason = excluded.reason, at = excluded.at
  WHERE message_receipts.state <> 'refused'
  RETURNING message_id, agent_id, state, at, mid_turn)
  ${notify("$5")}`;

/**
 * Every move also NOTIFYs RECEIPTS_CHANNEL in its statement, so the other relays push it to their sessions of the
 * sender. There is no fallback read for these: a lost notice loses that push, never the receipt.
 */
export class PgReceiptStore implements contract.ReceiptStore {
  /** @param origin this store's id among the relays on the database, in its notifications (to skip its own). */
  constructor(
    private readonly sql: SQL,
    private readonly origin: string,
  ) {}

  /** The refusal (a second one keeps the first), the read mark and the claim given back, in one transaction. */
  async refuse(messageId: number, agentId: string, reason: string, now: number): Promise<boolean> {
    return this.sql.begin(async (tx) => {
      const moved = await tx.unsafe(REFUSE, [messageId, agentId, reason, now, this.origin]);
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
    const rows = await this.sql.unsafe(ADVANCE, [messageId, agentId, state, now, mid, rank, this.origin]);
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
