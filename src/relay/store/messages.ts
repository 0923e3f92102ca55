// Message rows: insert, fetch (with reads and reactions batched), unread and reply-obligation queries.
import type { Database, Statement } from "bun:sqlite";
import type { Message, Reaction } from "../../protocol/index.ts";
import { type MessageRow, storedMessage, toMessage } from "./mappers.ts";
import type { MessageAddressing, NewMessage, Recipient } from "./records.ts";
import type * as contract from "./types.ts";

export type { MessageAddressing, NewMessage, Recipient } from "./records.ts";

interface AddressingRow {
  id: number;
  sender: string;
  target: string;
  resolved_to_agent: string | null;
  claimed_by: string | null;
}

// The part of the WHERE clause that decides whether a message is addressed to :agent.
// A message whose label target was resolved to one agent matches only that agent.
const MATCHES_RECIPIENT = `(m.id IN (
    SELECT id FROM messages WHERE resolved_to_agent IS NULL AND target IN (SELECT value FROM json_each(:targets)) AND id > :afterId
    UNION ALL
    SELECT id FROM messages WHERE resolved_to_agent = :agent AND id > :afterId
  ))`;

// The same rule evaluated row by row, for queries driven by another (smaller) index.
const MATCHES_RECIPIENT_INLINE = `((m.resolved_to_agent IS NULL AND m.target IN (SELECT value FROM json_each(:targets)))
    OR m.resolved_to_agent = :agent)`;

// Direct (and label-pinned) messages always reach the agent; group messages only from its first registration on.
const AFTER_ORIGIN = "(m.id > :origin OR m.target = :agent OR m.resolved_to_agent = :agent)";

export class MessageStore implements contract.MessageStore {
  private readonly insertStmt: Statement;
  private readonly byIdStmt: Statement<MessageRow, [number]>;
  private readonly readsStmt: Statement<{ message_id: number; agent_id: string }, [string]>;
  private readonly reactionsStmt: Statement<
    { message_id: number; agent_id: string; reaction: string; at: number },
    [string]
  >;
  private readonly unreadStmt: Statement<MessageRow, [Record<string, string | number>]>;
  private readonly obligationsStmt: Statement<MessageRow, [Record<string, string | number>]>;
  private readonly historyStmt: Statement<MessageRow, [Record<string, string | number>]>;
  private readonly threadStmt: Statement<MessageRow, [Record<string, number>]>;
  private readonly existsStmt: Statement<{ id: number }, [number]>;
  private readonly addressingStmt: Statement<AddressingRow, [string]>;
  private readonly recentStmt: Statement<MessageRow, [number]>;
  private readonly linkAttachmentStmt: Statement<unknown, [string, number]>;
  private readonly byAttachmentStmt: Statement<MessageRow, [string, number, number]>;
  private readonly insertTx: (batch: readonly NewMessage[]) => Message[];

  constructor(db: Database) {
    this.insertTx = db.transaction((batch: readonly NewMessage[]) => batch.map((m) => this.insertRow(m)));
    this.insertStmt = db.query(
      `INSERT INTO messages (sender, target, resolved_to_agent, kind, subject, body, payload, claimable,
         urgent, reply_to, reply_required, attachments, created_at)
       VALUES (:sender, :target, :resolved, :kind, :subject, :body, :payload, :claimable,
         :urgent, :replyTo, :replyRequired, :attachments, :createdAt)`,
    );
    this.byIdStmt = db.query("SELECT * FROM messages WHERE id = ?");
    this.recentStmt = db.query("SELECT * FROM messages ORDER BY id DESC LIMIT ?");
    this.existsStmt = db.query("SELECT id FROM messages WHERE id = ?");
    this.addressingStmt = db.query(
      `SELECT id, sender, target, resolved_to_agent, claimed_by FROM messages
       WHERE id IN (SELECT value FROM json_each(?))`,
    );
    this.linkAttachmentStmt = db.query(
      "INSERT OR IGNORE INTO message_attachments (attachment_id, message_id) VALUES (?, ?)",
    );
    this.byAttachmentStmt = db.query(
      `SELECT m.* FROM message_attachments a JOIN messages m ON m.id = a.message_id
       WHERE a.attachment_id = ? AND a.message_id > ? ORDER BY a.message_id LIMIT ?`,
    );
    this.readsStmt = db.query(
      "SELECT message_id, agent_id FROM message_reads WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY at, agent_id",
    );
    this.reactionsStmt = db.query(
      `SELECT message_id, agent_id, reaction, at FROM message_reactions
       WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY at, agent_id, reaction`,
    );
    // Claimable messages stay out of an agent's inbox while someone else holds a live claim or once settled.
    this.unreadStmt = db.query(
      `SELECT m.* FROM messages m
       WHERE ${MATCHES_RECIPIENT}
         AND ${AFTER_ORIGIN}
         AND m.sender != :agent
         AND NOT EXISTS (SELECT 1 FROM message_reads r WHERE r.message_id = m.id AND r.agent_id = :agent)
         AND (m.claimable = 0 OR (m.completed_at IS NULL
              AND (m.claimed_by IS NULL OR m.claimed_by = :agent OR m.claim_expires_at <= :now)))
       ORDER BY m.id LIMIT :limit`,
    );
    // Everything addressed to the agent, read or not (the unread rule without the read and claim filters).
    this.historyStmt = db.query(
      `SELECT m.* FROM messages m
       WHERE ${MATCHES_RECIPIENT} AND ${AFTER_ORIGIN} AND m.sender != :agent
       ORDER BY m.id LIMIT :limit`,
    );
    // A conversation: up the replyTo chain to its first message still stored, then every reply below it.
    this.threadStmt = db.query(
      `WITH RECURSIVE up(id, reply_to) AS (
         SELECT id, reply_to FROM messages WHERE id = :id
         UNION SELECT m.id, m.reply_to FROM messages m JOIN up ON m.id = up.reply_to),
       down(id) AS (
         SELECT min(id) FROM up
         UNION SELECT m.id FROM messages m JOIN down ON m.reply_to = down.id)
       SELECT m.* FROM messages m WHERE m.id IN (SELECT id FROM down) AND m.id > :afterId
       ORDER BY m.id LIMIT :limit`,
    );
    // An obligation ends when the recipient sends any message with replyTo = its id; a claimable one
    // is only the obligation of the agent that holds (or held) its claim.
    this.obligationsStmt = db.query(
      `SELECT m.* FROM messages m INDEXED BY messages_reply_required
       WHERE m.reply_required = 1
         AND ${MATCHES_RECIPIENT_INLINE}
         AND ${AFTER_ORIGIN}
         AND m.sender != :agent
         AND (m.claimable = 0 OR m.claimed_by = :agent)
         AND NOT EXISTS (SELECT 1 FROM messages r WHERE r.reply_to = m.id AND r.sender = :agent)
       ORDER BY m.id LIMIT :limit`,
    );
  }

  /** One transaction for the whole batch (one commit costs several page writes whatever its size). */
  async insertBatch(batch: readonly NewMessage[]): Promise<Message[]> {
    return this.insertTx(batch);
  }

  private insertRow(m: NewMessage): Message {
    const result = this.insertStmt.run({
      sender: m.from,
      target: m.to,
      resolved: m.resolvedToAgent ?? null,
      kind: m.kind,
      subject: m.subject ?? null,
      body: m.body,
      payload: m.payloadJson ?? JSON.stringify(m.payload),
      claimable: m.claimable ? 1 : 0,
      urgent: m.urgent ? 1 : 0,
      replyTo: m.replyTo ?? null,
      replyRequired: m.payload.replyRequired === true ? 1 : 0,
      attachments: JSON.stringify(m.attachments),
      createdAt: m.createdAt,
    });
    const id = Number(result.lastInsertRowid);
    for (const a of m.attachments) this.linkAttachmentStmt.run(a.id, id); // in insertBatch's transaction
    return storedMessage(m, id);
  }

  async exists(id: number): Promise<boolean> {
    return this.existsStmt.get(id) !== null;
  }

  /** Addressing of each existing id (missing ids are absent), without loading bodies, reads or reactions. */
  async addressing(ids: readonly number[]): Promise<Map<number, MessageAddressing>> {
    const out = new Map<number, MessageAddressing>();
    for (const r of this.addressingStmt.all(JSON.stringify(ids))) {
      const m: MessageAddressing = { id: r.id, from: r.sender, to: r.target };
      if (r.resolved_to_agent !== null) m.resolvedToAgent = r.resolved_to_agent;
      if (r.claimed_by !== null) m.claimedBy = r.claimed_by;
      out.set(r.id, m);
    }
    return out;
  }

  /** The newest `limit` messages, oldest first (the fleet view's first screen). */
  async recent(limit: number): Promise<Message[]> {
    return this.hydrate(this.recentStmt.all(limit).reverse());
  }

  async get(id: number): Promise<Message | undefined> {
    const row = this.byIdStmt.get(id);
    return row ? this.hydrate([row])[0] : undefined;
  }

  /** Messages that reference attachment `attachmentId`, oldest first: a page of `limit` with ids above `afterId`. */
  async referencing(attachmentId: string, afterId: number, limit: number): Promise<Message[]> {
    return this.hydrate(this.byAttachmentStmt.all(attachmentId, afterId, limit));
  }

  async unread(recipient: Recipient, afterId: number, limit: number, now: number): Promise<Message[]> {
    return this.hydrate(this.unreadStmt.all(this.recipientParams(recipient, afterId, limit, now)));
  }

  /** Every message addressed to the recipient, read or unread, oldest first, after `afterId`. */
  async history(recipient: Recipient, afterId: number, limit: number): Promise<Message[]> {
    const { now: _now, ...params } = this.recipientParams(recipient, afterId, limit, 0);
    return this.hydrate(this.historyStmt.all(params));
  }

  /** The conversation `id` belongs to (its first stored ancestor and all replies below it), oldest first. */
  async thread(id: number, afterId: number, limit: number): Promise<Message[]> {
    return this.hydrate(this.threadStmt.all({ id, afterId, limit }));
  }

  async replyObligations(recipient: Recipient, limit: number): Promise<Message[]> {
    const { agentId: agent, targets } = recipient;
    const origin = recipient.originId ?? 0;
    return this.hydrate(this.obligationsStmt.all({ agent, targets: JSON.stringify(targets), limit, origin }));
  }

  private recipientParams(r: Recipient, afterId: number, limit: number, now: number) {
    return {
      agent: r.agentId,
      targets: JSON.stringify(r.targets),
      afterId,
      limit,
      now,
      origin: r.originId ?? 0,
    };
  }

  /** Rows to Messages, fetching reads and reactions for the whole batch in two queries. */
  private hydrate(rows: MessageRow[]): Message[] {
    if (rows.length === 0) return [];
    const ids = JSON.stringify(rows.map((r) => r.id));
    const readBy = new Map<number, string[]>();
    for (const r of this.readsStmt.all(ids)) push(readBy, r.message_id, r.agent_id);
    const reactions = new Map<number, Reaction[]>();
    for (const r of this.reactionsStmt.all(ids)) {
      push(reactions, r.message_id, { agentId: r.agent_id, reaction: r.reaction, at: r.at });
    }
    return rows.map((row) =>
      toMessage(row, readBy.get(Number(row.id)) ?? [], reactions.get(Number(row.id)) ?? []),
    );
  }
}

function push<T>(map: Map<number, T[]>, key: number, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
