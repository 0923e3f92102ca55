// Retention: old messages are deleted (with their reads, reactions and other rows that point at them), and so
// are attachments no message references once they are past a grace period.
import type { Database, Statement } from "bun:sqlite";
import type { RetentionCutoffs, RetentionResult } from "./records.ts";
import type * as contract from "./types.ts";

export type { RetentionCutoffs, RetentionResult } from "./records.ts";

/** Rows deleted per transaction, so one sweep never holds the write lock for long. */
const BATCH = 500;

type Ids = Statement<{ id: number | string }, [{ cutoff: number; limit: number }]>;

export class RetentionStore implements contract.RetentionStore {
  private readonly oldRead: Ids;
  private readonly oldAny: Ids;
  private readonly orphans: Ids;
  private readonly deleteMessages: Statement<unknown, [string]>[];
  private readonly deleteAttachments: Statement<unknown, [string]>;

  constructor(private readonly db: Database) {
    this.oldRead = db.query(
      `SELECT m.id FROM messages m INDEXED BY messages_by_created
       WHERE m.created_at < :cutoff
         AND (m.completed_at IS NOT NULL OR EXISTS (SELECT 1 FROM message_reads r WHERE r.message_id = m.id))
       LIMIT :limit`,
    );
    this.oldAny = db.query(
      "SELECT id FROM messages INDEXED BY messages_by_created WHERE created_at < :cutoff LIMIT :limit",
    );
    this.orphans = db.query(
      `SELECT a.id FROM attachments a INDEXED BY attachments_by_created
       WHERE a.created_at < :cutoff
         AND NOT EXISTS (SELECT 1 FROM message_attachments ma WHERE ma.attachment_id = a.id)
       LIMIT :limit`,
    );
    // Every table whose foreign key points at messages (reads, reactions, attachment links, and any added
    // later) loses its rows first, then the messages themselves.
    const children = db
      .query<{ table: string; column: string }, []>(
        `SELECT m.name AS "table", f."from" AS "column" FROM sqlite_master m, pragma_foreign_key_list(m.name) f
         WHERE m.type = 'table' AND f."table" = 'messages'`,
      )
      .all();
    this.deleteMessages = [
      ...children.map((c) =>
        db.query<unknown, [string]>(
          `DELETE FROM "${c.table}" WHERE "${c.column}" IN (SELECT value FROM json_each(?))`,
        ),
      ),
      db.query<unknown, [string]>("DELETE FROM messages WHERE id IN (SELECT value FROM json_each(?))"),
    ];
    this.deleteAttachments = db.query("DELETE FROM attachments WHERE id IN (SELECT value FROM json_each(?))");
  }

  /** Delete everything past its cutoff, a batch per transaction; answers how many messages and attachments went. */
  async sweep(c: RetentionCutoffs): Promise<RetentionResult> {
    let messages = 0;
    if (c.allBefore !== undefined) messages += this.drain(this.oldAny, c.allBefore, this.deleteMessages);
    if (c.readBefore !== undefined) messages += this.drain(this.oldRead, c.readBefore, this.deleteMessages);
    // After the messages: attachments only they referenced are orphans now.
    const attachments = this.drain(this.orphans, c.orphanBefore, [this.deleteAttachments]);
    return { messages, attachments };
  }

  private drain(select: Ids, cutoff: number, deletes: Statement<unknown, [string]>[]): number {
    let total = 0;
    for (;;) {
      const ids = select.all({ cutoff, limit: BATCH }).map((r) => r.id);
      if (ids.length === 0) return total;
      const json = JSON.stringify(ids);
      this.db.transaction(() => {
        for (const d of deletes) d.run(json);
      })();
      total += ids.length;
      if (ids.length < BATCH) return total;
    }
  }
}
