// Attachment blobs on PostgreSQL: stored whole as bytea (see schema.ts for why), referenced from messages by id.
import type { SQL } from "bun";
import type { AttachmentRef } from "../../../protocol/index.ts";
import { num, refsInOrder } from "../mappers.ts";
import type * as contract from "../types.ts";

export class PgAttachmentStore implements contract.AttachmentStore {
  constructor(private readonly sql: SQL) {}

  async create(
    ref: AttachmentRef,
    data: Uint8Array,
    uploadedBy: string,
    now: number,
  ): Promise<AttachmentRef> {
    await this.sql`INSERT INTO attachments (id, name, mime_type, size, data, uploaded_by, created_at)
      VALUES (${ref.id}, ${ref.name}, ${ref.mimeType}, ${ref.size}, ${data}, ${uploadedBy}, ${now})`;
    return ref;
  }

  async uploader(id: string): Promise<string | undefined> {
    const [row] = await this.sql`SELECT uploaded_by FROM attachments WHERE id = ${id}`;
    return row?.uploaded_by ?? undefined;
  }

  async usedBy(agent: string): Promise<number> {
    const [row] = await this
      .sql`SELECT coalesce(sum(size), 0) AS used FROM attachments WHERE uploaded_by = ${agent}`;
    return num(row.used);
  }

  async get(id: string): Promise<AttachmentRef | undefined> {
    const [row] = await this.sql`SELECT id, name, mime_type, size FROM attachments WHERE id = ${id}`;
    return row ? toRef(row) : undefined;
  }

  async resolve(ids: readonly string[]): Promise<{ refs: AttachmentRef[]; missing: string[] }> {
    if (ids.length === 0) return { refs: [], missing: [] };
    const rows = await this.sql`SELECT id, name, mime_type, size FROM attachments
      WHERE id = ANY(${[...ids]}::text[])`;
    return refsInOrder(ids, new Map(rows.map((r: RefRow) => [r.id, toRef(r)])));
  }

  async content(id: string): Promise<{ name: string; mimeType: string; data: Uint8Array } | undefined> {
    const [row] = await this.sql`SELECT name, mime_type, data FROM attachments WHERE id = ${id}`;
    return row ? { name: row.name, mimeType: row.mime_type, data: new Uint8Array(row.data) } : undefined;
  }
}

interface RefRow {
  id: string;
  name: string;
  mime_type: string;
  size: string;
}

function toRef(r: RefRow): AttachmentRef {
  return { id: r.id, name: r.name, mimeType: r.mime_type, size: num(r.size) };
}
