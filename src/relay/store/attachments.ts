// Attachment blobs: stored whole in SQLite, referenced from messages by id.
import type { Database, Statement } from "bun:sqlite";
import type { AttachmentRef } from "../../protocol/index.ts";
import { refsInOrder } from "./mappers.ts";
import type * as contract from "./types.ts";

export class AttachmentStore implements contract.AttachmentStore {
  private readonly insertStmt: Statement<unknown, [Record<string, string | number | Uint8Array>]>;
  private readonly refStmt: Statement<AttachmentRef, [string]>;
  private readonly refsStmt: Statement<AttachmentRef, [string]>;
  private readonly dataStmt: Statement<{ name: string; mimeType: string; data: Uint8Array }, [string]>;
  private readonly uploaderStmt: Statement<{ uploaded_by: string | null }, [string]>;
  private readonly usedStmt: Statement<{ used: number }, [string]>;

  constructor(db: Database) {
    this.insertStmt = db.query(
      `INSERT INTO attachments (id, name, mime_type, size, data, uploaded_by, created_at)
       VALUES (:id, :name, :mimeType, :size, :data, :uploadedBy, :now)`,
    );
    this.uploaderStmt = db.query("SELECT uploaded_by FROM attachments WHERE id = ?");
    this.usedStmt = db.query(
      "SELECT COALESCE(SUM(size), 0) AS used FROM attachments INDEXED BY attachments_by_uploader WHERE uploaded_by = ?",
    );
    this.refStmt = db.query("SELECT id, name, mime_type AS mimeType, size FROM attachments WHERE id = ?");
    this.refsStmt = db.query(
      "SELECT id, name, mime_type AS mimeType, size FROM attachments WHERE id IN (SELECT value FROM json_each(?))",
    );
    this.dataStmt = db.query("SELECT name, mime_type AS mimeType, data FROM attachments WHERE id = ?");
  }

  /** `uploadedBy` is the uploading token's agent ("root" for the root token). */
  async create(
    ref: AttachmentRef,
    data: Uint8Array,
    uploadedBy: string,
    now: number,
  ): Promise<AttachmentRef> {
    this.insertStmt.run({ ...ref, data, uploadedBy, now });
    return ref;
  }

  /** Who uploaded it; undefined for an unknown id or an upload stored before uploaders were recorded. */
  async uploader(id: string): Promise<string | undefined> {
    return this.uploaderStmt.get(id)?.uploaded_by ?? undefined;
  }

  /** Bytes of attachments `agent` uploaded that are still stored (its quota's use). */
  async usedBy(agent: string): Promise<number> {
    return this.usedStmt.get(agent)?.used ?? 0;
  }

  async get(id: string): Promise<AttachmentRef | undefined> {
    return this.refStmt.get(id) ?? undefined;
  }

  /** The refs for `ids` in the order given; ids that don't exist are reported in `missing`. */
  async resolve(ids: readonly string[]): Promise<{ refs: AttachmentRef[]; missing: string[] }> {
    if (ids.length === 0) return { refs: [], missing: [] };
    return refsInOrder(ids, new Map(this.refsStmt.all(JSON.stringify(ids)).map((r) => [r.id, r])));
  }

  async content(id: string): Promise<{ name: string; mimeType: string; data: Uint8Array } | undefined> {
    return this.dataStmt.get(id) ?? undefined;
  }
}
