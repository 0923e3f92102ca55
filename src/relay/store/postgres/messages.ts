// Message rows on PostgreSQL: batch insert (one transaction), fetch with reads and reactions, inbox queries.
import type { SQL } from "bun";
import type { Message, Reaction } from "../../../protocol/index.ts";
import { type MessageRow, num, storedMessage, toMessage } from "../mappers.ts";
import type { MessageAddressing, NewMessage, Recipient } from "../records.ts";
import type * as contract from "../types.ts";
import { MESSAGES_CHANNEL } from "./replica-source.ts";

/** Any fixed number, distinct from the migration lock: serialises message inserts across relays (see insertBatch). */
const INSERT_LOCK = 7_214_002;

export class PgMessageStore implements contract.MessageStore {
  constructor(private readonly sql: SQL) {}

  /**
   * One transaction of three statements whatever the batch's size: ids taken from the sequence and handed out
   * ascending in the order given, every row in one INSERT, every attachment link in another. The rows travel as one
   * JSON document (JSON.stringify escapes every body exactly; no array-literal quoting to get wrong).
   *
   * Every relay on the database takes one advisory lock before its ids, held until its commit, so ids commit in
   * ascending order: once id N is visible, every lower id is committed or never will be (what replicas read by).
   * NOTIFY MESSAGES_CHANNEL (the new highest id) is sent on commit, a wake-up for the other replicas.
   */
  async insertBatch(batch: readonly NewMessage[]): Promise<Message[]> {
    if (batch.length === 0) return [];
    return this.sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${INSERT_LOCK})`;
      const taken =
        await tx`SELECT nextval('messages_id_seq') AS id FROM generate_series(1, ${batch.length})`;
      const ids = taken.map((r: { id: string }) => num(r.id)).sort((a: number, b: number) => a - b);
      const rows = JSON.stringify(batch.map((m, i) => toRow(m, ids[i]!)));
      await tx`INSERT INTO messages (id, sender, target, resolved_to_agent, kind, subject, body, payload, claimable,
          urgent, reply_to, reply_required, attachments, created_at)
        SELECT id, sender, target, resolved_to_agent, kind, subject, body, payload, claimable,
          urgent, reply_to, reply_required, attachments, created_at
        FROM json_to_recordset(${rows}::text::json) AS r(id bigint, sender text, target text,
          resolved_to_agent text, kind text, subject text, body text, payload text, claimable boolean,
          urgent boolean, reply_to bigint, reply_required boolean, attachments text, created_at bigint)`;
      const links = batch.flatMap((m, i) => m.attachments.map((a) => ({ a: a.id, m: ids[i]! })));
      if (links.length > 0) {
        await tx`INSERT INTO message_attachments (attachment_id, message_id)
          SELECT a, m FROM json_to_recordset(${JSON.stringify(links)}::text::json) AS l(a text, m bigint)
          ON CONFLICT DO NOTHING`;
      }
      await tx`SELECT pg_notify(${MESSAGES_CHANNEL}, ${String(ids.at(-1))})`;
      return batch.map((m, i) => storedMessage(m, ids[i]!));
    });
  }

  /** The highest message id committed (0 when there is none). */
  async lastId(): Promise<number> {
    return num((await this.sql`SELECT coalesce(max(id), 0) AS id FROM messages`)[0].id);
  }

  /** Messages with afterId < id < beforeId, ascending, at most `limit`, as stored (with reads and reactions). */
  async between(afterId: number, beforeId: number, limit: number): Promise<Message[]> {
    return this.hydrate(
      await this
        .sql`SELECT * FROM messages WHERE id > ${afterId} AND id < ${beforeId} ORDER BY id LIMIT ${limit}`,
    );
  }

  async exists(id: number): Promise<boolean> {
    return (await this.sql`SELECT 1 FROM messages WHERE id = ${id}`).length > 0;
  }

  async addressing(ids: readonly number[]): Promise<Map<number, MessageAddressing>> {
    const out = new Map<number, MessageAddressing>();
    const rows = await this.sql`SELECT id, sender, target, resolved_to_agent, claimed_by FROM messages
      WHERE id = ANY(${[...ids]}::bigint[])`;
    for (const r of rows) {
      const m: MessageAddressing = { id: num(r.id), from: r.sender, to: r.target };
      if (r.resolved_to_agent !== null) m.resolvedToAgent = r.resolved_to_agent;
      if (r.claimed_by !== null) m.claimedBy = r.claimed_by;
      out.set(m.id, m);
    }
    return out;
  }

  async recent(limit: number): Promise<Message[]> {
    const rows = await this.sql`SELECT * FROM messages ORDER BY id DESC LIMIT ${limit}`;
    return this.hydrate([...rows].reverse());
  }

  async get(id: number): Promise<Message | undefined> {
    return (await this.hydrate(await this.sql`SELECT * FROM messages WHERE id = ${id}`))[0];
  }

  async referencing(attachmentId: string, afterId: number, limit: number): Promise<Message[]> {
    return this.hydrate(
      await this.sql`SELECT m.* FROM message_attachments a JOIN messages m ON m.id = a.message_id
        WHERE a.attachment_id = ${attachmentId} AND a.message_id > ${afterId} ORDER BY a.message_id LIMIT ${limit}`,
    );
  }

  // Addressed to the agent: a message whose label target was resolved to one agent matches only that agent;
  // group messages only after its origin. Claimable ones stay out while another holds a live claim or once settled.
  async unread(r: Recipient, afterId: number, limit: number, now: number): Promise<Message[]> {
    const agent = r.agentId;
    return this.hydrate(
      await this.sql`SELECT m.* FROM messages m
        WHERE m.id > ${afterId}
          AND ((m.resolved_to_agent IS NULL AND m.target = ANY(${r.targets}::text[])) OR m.resolved_to_agent = ${agent})
          AND (m.id > ${r.originId ?? 0} OR m.target = ${agent} OR m.resolved_to_agent = ${agent})
          AND m.sender <> ${agent}
          AND NOT EXISTS (SELECT 1 FROM message_reads x WHERE x.message_id = m.id AND x.agent_id = ${agent})
          AND (NOT m.claimable OR (m.completed_at IS NULL
               AND (m.claimed_by IS NULL OR m.claimed_by = ${agent} OR m.claim_expires_at <= ${now})))
        ORDER BY m.id LIMIT ${limit}`,
    );
  }

  async history(r: Recipient, afterId: number, limit: number): Promise<Message[]> {
    const agent = r.agentId;
    return this.hydrate(
      await this.sql`SELECT m.* FROM messages m
        WHERE m.id > ${afterId}
          AND ((m.resolved_to_agent IS NULL AND m.target = ANY(${r.targets}::text[])) OR m.resolved_to_agent = ${agent})
          AND (m.id > ${r.originId ?? 0} OR m.target = ${agent} OR m.resolved_to_agent = ${agent})
          AND m.sender <> ${agent}
        ORDER BY m.id LIMIT ${limit}`,
    );
  }

  /** Up the replyTo chain to its first message still stored, then every reply below it. */
  async thread(id: number, afterId: number, limit: number): Promise<Message[]> {
    return this.hydrate(
      await this.sql`WITH RECURSIVE up(id, reply_to) AS (
          SELECT id, reply_to FROM messages WHERE id = ${id}
          UNION SELECT m.id, m.reply_to FROM messages m JOIN up ON m.id = up.reply_to),
        down(id) AS (
          SELECT min(id) FROM up
          UNION SELECT m.id FROM messages m JOIN down ON m.reply_to = down.id)
        SELECT m.* FROM messages m WHERE m.id IN (SELECT id FROM down) AND m.id > ${afterId}
        ORDER BY m.id LIMIT ${limit}`,
    );
  }

  /** An obligation ends when the recipient replies; a claimable one is only its holder's. */
  async replyObligations(r: Recipient, limit: number): Promise<Message[]> {
    const agent = r.agentId;
    return this.hydrate(
      await this.sql`SELECT m.* FROM messages m
        WHERE m.reply_required
          AND ((m.resolved_to_agent IS NULL AND m.target = ANY(${r.targets}::text[])) OR m.resolved_to_agent = ${agent})
          AND (m.id > ${r.originId ?? 0} OR m.target = ${agent} OR m.resolved_to_agent = ${agent})
          AND m.sender <> ${agent}
          AND (NOT m.claimable OR m.claimed_by = ${agent})
          AND NOT EXISTS (SELECT 1 FROM messages x WHERE x.reply_to = m.id AND x.sender = ${agent})
        ORDER BY m.id LIMIT ${limit}`,
    );
  }

  /** Rows to Messages, fetching reads and reactions for the whole page in two queries (byte order, as SQLite). */
  private async hydrate(rows: readonly MessageRow[]): Promise<Message[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => num(r.id));
    const [reads, reacts] = await Promise.all([
      this.sql`SELECT message_id, agent_id FROM message_reads WHERE message_id = ANY(${ids}::bigint[])
        ORDER BY at, agent_id COLLATE "C"`,
      this.sql`SELECT message_id, agent_id, reaction, at FROM message_reactions
        WHERE message_id = ANY(${ids}::bigint[]) ORDER BY at, agent_id COLLATE "C", reaction COLLATE "C"`,
    ]);
    const readBy = new Map<number, string[]>();
    for (const r of reads) push(readBy, num(r.message_id), r.agent_id);
    const reactions = new Map<number, Reaction[]>();
    for (const r of reacts) {
      push(reactions, num(r.message_id), { agentId: r.agent_id, reaction: r.reaction, at: num(r.at) });
    }
    return rows.map((row) => toMessage(row, readBy.get(num(row.id)) ?? [], reactions.get(num(row.id)) ?? []));
  }
}

/**
 * A new message as one row of insertBatch's JSON document (payload and attachments stay JSON text). Text fields are
 * made well-formed first: PostgreSQL's JSON refuses a lone surrogate's escape, which a bound parameter (and SQLite)
 * would have stored as U+FFFD anyway.
 */
function toRow(m: NewMessage, id: number) {
  return {
    id,
    sender: m.from.toWellFormed(),
    target: m.to.toWellFormed(),
    resolved_to_agent: m.resolvedToAgent?.toWellFormed() ?? null,
    kind: m.kind.toWellFormed(),
    subject: m.subject?.toWellFormed() ?? null,
    body: m.body.toWellFormed(),
    payload: m.payloadJson ?? JSON.stringify(m.payload),
    claimable: m.claimable,
    urgent: m.urgent === true,
    reply_to: m.replyTo ?? null,
    reply_required: m.payload.replyRequired === true,
    attachments: JSON.stringify(m.attachments),
    created_at: m.createdAt,
  };
}

function push<T>(map: Map<number, T[]>, key: number, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
