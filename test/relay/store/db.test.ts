// Schema migrations: a database from an older relay is brought forward without losing what it held.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../../src/relay/store/db.ts";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A database file in the v1 schema: today's schema with the v2 and v3 additions taken out again. */
function v1Database(): string {
  dir = mkdtempSync(join(tmpdir(), "relay-db-"));
  const path = join(dir, "relay.db");
  const db = openDatabase(path);
  db.exec(
    "DROP TABLE message_receipts; DROP TABLE message_attachments; ALTER TABLE attachments DROP COLUMN uploaded_by; PRAGMA user_version = 1",
  );
  db.exec(
    `INSERT INTO attachments (id, name, mime_type, size, data, created_at) VALUES ('att-1', 'a.txt', 'text/plain', 1, x'41', 1);
     INSERT INTO messages (sender, target, kind, body, payload, claimable, attachments, created_at)
       VALUES ('a', 'b', 'chat', 'see', '{}', 0, '[{"id":"att-1","name":"a.txt","mimeType":"text/plain","size":1}]', 1),
              ('a', 'c', 'chat', 'none', '{}', 0, '[]', 2);`,
  );
  db.close();
  return path;
}

describe("openDatabase migrations", () => {
  test("v1 → v2 (and on) keeps attachments without an uploader and backfills which messages reference them", () => {
    const db = openDatabase(v1Database());
    try {
      expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: 3 });
      expect(db.query("SELECT id, uploaded_by FROM attachments").all()).toEqual([
        { id: "att-1", uploaded_by: null },
      ]);
      expect(db.query("SELECT attachment_id, message_id FROM message_attachments").all()).toEqual([
        { attachment_id: "att-1", message_id: 1 },
      ]);
    } finally {
      db.close();
    }
  });
});
