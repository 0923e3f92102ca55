// Retention on PostgreSQL: old messages go (their reads, reactions, receipts and attachment links with them, by
// ON DELETE CASCADE), then attachments no message references once past their grace period; short transactions.
import type { SQL } from "bun";
import type { RetentionCutoffs, RetentionResult } from "../records.ts";
import type * as contract from "../types.ts";

/** Rows deleted per statement, so one sweep never holds many row locks for long. */
const BATCH = 500;

export class PgRetentionStore implements contract.RetentionStore {
  constructor(private readonly sql: SQL) {}

  async sweep(c: RetentionCutoffs): Promise<RetentionResult> {
    let messages = 0;
    if (c.allBefore !== undefined) messages += await this.drain(() => this.deleteAny(c.allBefore!));
    if (c.readBefore !== undefined) messages += await this.drain(() => this.deleteRead(c.readBefore!));
    // After the messages: attachments only they referenced are orphans now.
    const attachments = await this.drain(() => this.deleteOrphans(c.orphanBefore));
    return { messages, attachments };
  }

  private async drain(batch: () => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await batch();
      total += n;
      if (n < BATCH) return total;
    }
  }

  // Each batch is one statement (one implicit transaction); SKIP LOCKED leaves a row being claimed or read
  // right now to the next sweep instead of waiting for it.
  private async deleteAny(cutoff: number): Promise<number> {
    const rows = await this.sql`DELETE FROM messages WHERE id IN (
        SELECT id FROM messages WHERE created_at < ${cutoff} LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
      RETURNING id`;
    return rows.length;
  }

  private async deleteRead(cutoff: number): Promise<number> {
    const rows = await this.sql`DELETE FROM messages WHERE id IN (
        SELECT m.id FROM messages m WHERE m.created_at < ${cutoff}
          AND (m.completed_at IS NOT NULL OR EXISTS (SELECT 1 FROM message_reads r WHERE r.message_id = m.id))
        LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
      RETURNING id`;
    return rows.length;
  }

  private async deleteOrphans(cutoff: number): Promise<number> {
    const rows = await this.sql`DELETE FROM attachments WHERE id IN (
        SELECT a.id FROM attachments a WHERE a.created_at < ${cutoff}
          AND NOT EXISTS (SELECT 1 FROM message_attachments ma WHERE ma.attachment_id = a.id)
        LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
      RETURNING id`;
    return rows.length;
  }
}
