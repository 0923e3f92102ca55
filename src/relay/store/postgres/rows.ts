// Row shapes shared by the PostgreSQL sub-stores, and the conversions PostgreSQL's types need on the way out:
// bigint columns arrive as strings from Bun's client, so every id, time and size goes through `num`.
import type { Message, Reaction } from "../../../protocol/index.ts";

/** A bigint (answered as a string) or integer column as a number; epoch ms and ids fit in 2^53. */
export function num(v: unknown): number {
  return typeof v === "number" ? v : Number(v);
}

/** A nullable bigint column as a number or undefined. */
export function optNum(v: unknown): number | undefined {
  return v === null || v === undefined ? undefined : num(v);
}

export interface MessageRow {
  id: string;
  sender: string;
  target: string;
  resolved_to_agent: string | null;
  kind: string;
  subject: string | null;
  body: string;
  payload: string;
  claimable: boolean;
  urgent: boolean;
  claimed_by: string | null;
  claim_expires_at: string | null;
  completed_at: string | null;
  reply_to: string | null;
  attachments: string;
  created_at: string;
}

export function toMessage(row: MessageRow, readBy: string[], reactions: Reaction[]): Message {
  const m: Message = {
    id: num(row.id),
    from: row.sender,
    to: row.target,
    kind: row.kind,
    body: row.body,
    payload: JSON.parse(row.payload),
    claimable: row.claimable,
    readBy,
    reactions,
    attachments: JSON.parse(row.attachments),
    createdAt: num(row.created_at),
  };
  if (row.urgent) m.urgent = true;
  if (row.resolved_to_agent !== null) m.resolvedToAgent = row.resolved_to_agent;
  if (row.subject !== null) m.subject = row.subject;
  if (row.claimed_by !== null) m.claimedBy = row.claimed_by;
  if (row.claim_expires_at !== null) m.claimExpiresAt = num(row.claim_expires_at);
  if (row.completed_at !== null) m.claimCompletedAt = num(row.completed_at);
  if (row.reply_to !== null) m.replyTo = num(row.reply_to);
  return m;
}
