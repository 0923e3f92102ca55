// Schema migrations: a database from an older relay is brought forward without losing what it held.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandStore } from "../../../src/relay/store/commands.ts";
import { openDatabase } from "../../../src/relay/store/db.ts";
import { MessageStore } from "../../../src/relay/store/messages.ts";
import { ReceiptStore } from "../../../src/relay/store/receipts.ts";
import { TaskStore } from "../../../src/relay/store/tasks.ts";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Takes the v10 additions (message urgency, mid-turn receipts) out of today's schema. */
const V10_UNDO = "ALTER TABLE messages DROP COLUMN urgent; ALTER TABLE message_receipts DROP COLUMN mid_turn";
/** Takes the v9 and later additions (a command sender's role) out of today's schema. */
const V9_UNDO = `${V10_UNDO}; ALTER TABLE commands DROP COLUMN sender_role`;
/** Takes the v8 and later additions (task time limits and outcomes) out of today's schema. */
const V8_UNDO = `${V9_UNDO}; ALTER TABLE tasks DROP COLUMN time_limit_seconds; ALTER TABLE tasks DROP COLUMN outcome`;
/** Takes the v7 and later additions (leases) out of today's schema. */
const V7_UNDO = `${V8_UNDO}; DROP TABLE leases`;
/** Takes the v6 and later additions out of today's schema. */
const V6_UNDO = `${V7_UNDO}; ALTER TABLE commands DROP COLUMN sender`;
/** The schema version today's relay writes. */
const LATEST = 10;
/** Takes the v3 to v6 additions out of today's schema. */
const V3_UNDO = `${V6_UNDO}; DROP INDEX commands_pending_by_agent; DROP TABLE issued_tokens; DROP INDEX revoked_tokens_by_expiry;
  DROP TABLE agent_origins; DROP INDEX attachments_by_uploader; DROP INDEX attachments_by_created;
  DROP INDEX messages_by_created; DROP TABLE message_receipts`;

/** A database file in the v1 schema: today's schema with the v2 to v6 additions taken out again. */
function v1Database(): string {
  dir = mkdtempSync(join(tmpdir(), "relay-db-"));
  const path = join(dir, "relay.db");
  const db = openDatabase(path);
  db.exec(`${V3_UNDO}; DROP TABLE message_attachments; ALTER TABLE attachments DROP COLUMN uploaded_by;
    PRAGMA user_version = 1`);
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
      expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: LATEST });
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

  test("v2 → v3: agents registered before it keep receiving every message; tokens and origins start empty", () => {
    dir = mkdtempSync(join(tmpdir(), "relay-db-"));
    const path = join(dir, "relay.db");
    const old = openDatabase(path);
    old.exec(`${V3_UNDO}; PRAGMA user_version = 2`);
    old.exec(
      `INSERT INTO agents (id, instance_id, component_id, machine, status, semantic_status, ready, capabilities,
         tags, label, meta, heartbeat_interval_ms, connected_at, last_heartbeat_at)
       VALUES ('old-agent', 'i', 'r', 'm', 'idle', 'idle', 0, '[]', '[]', NULL, '{}', 30000, 5, 5)`,
    );
    old.close();
    const db = openDatabase(path);
    try {
      expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: LATEST });
      expect(db.query("SELECT * FROM agent_origins").all()).toEqual([
        { id: "old-agent", first_registered_at: 5, last_message_id: 0 },
      ]);
      expect(db.query("SELECT count(*) AS n FROM issued_tokens").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});

describe("openDatabase migrations to v6", () => {
  test("v5 → v6: commands created before it have no sender; new ones record theirs", async () => {
    dir = mkdtempSync(join(tmpdir(), "relay-db-"));
    const path = join(dir, "relay.db");
    const old = openDatabase(path);
    old.exec(`${V6_UNDO}; PRAGMA user_version = 5`);
    old.exec(
      `INSERT INTO commands (id, type, target, target_agent, params, status, created_at, updated_at)
       VALUES ('old-cmd', 'agent.kill', 'a', 'a', '{}', 'pending', 1, 1)`,
    );
    old.close();
    const db = openDatabase(path);
    try {
      expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: LATEST });
      const store = new CommandStore(db);
      expect((await store.get("old-cmd"))?.command.from).toBeUndefined();
      expect((await store.get("old-cmd"))?.command).toMatchObject({ id: "old-cmd", status: "pending" });
      await store.create(
        {
          id: "new-cmd",
          type: "agent.kill",
          target: "a",
          targetAgent: "a",
          from: "b",
          fromRole: "operator",
          params: {},
        },
        2,
      );
      expect((await store.get("new-cmd"))?.command.from).toBe("b");
      expect((await store.get("new-cmd"))?.command.fromRole).toBe("operator");
      expect((await store.get("old-cmd"))?.command.fromRole).toBeUndefined();
    } finally {
      db.close();
    }
  });
});

describe("openDatabase migrations to v8", () => {
  test("v7 → v8: tasks created before it have no time limit or outcome; new ones keep theirs", async () => {
    dir = mkdtempSync(join(tmpdir(), "relay-db-"));
    const path = join(dir, "relay.db");
    const old = openDatabase(path);
    old.exec(`${V8_UNDO}; PRAGMA user_version = 7`);
    old.exec(
      `INSERT INTO tasks (title, body, status, created_at, updated_at) VALUES ('old', '', 'open', 1, 1);
       INSERT INTO task_history (task_id, status, agent_id, at) VALUES (1, 'open', 'a', 1)`,
    );
    old.close();
    const db = openDatabase(path);
    try {
      expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: LATEST });
      const tasks = new TaskStore(db);
      const before = (await tasks.get(1))!;
      expect(before.timeLimitSeconds).toBeUndefined();
      expect(before.outcome).toBeUndefined();
      const created = await tasks.create({ title: "new", body: "", createdBy: "a", timeLimitSeconds: 60 }, 2);
      const outcome = { status: "partial" as const, reason: "time limit", durationMs: 60_000 };
      await tasks.transition(created.id, { status: "done", agentId: "a", outcome }, 3);
      expect(await tasks.get(created.id)).toMatchObject({ timeLimitSeconds: 60, status: "done", outcome });
    } finally {
      db.close();
    }
  });
});

describe("openDatabase migrations to v10", () => {
  test("v9 → v10: messages stored before it are not urgent, and their receipts say nothing of mid-turn", async () => {
    dir = mkdtempSync(join(tmpdir(), "relay-db-"));
    const path = join(dir, "relay.db");
    const old = openDatabase(path);
    old.exec(`${V10_UNDO}; PRAGMA user_version = 9`);
    old.exec(
      `INSERT INTO messages (sender, target, kind, body, payload, claimable, attachments, created_at)
         VALUES ('a', 'b', 'chat', 'old', '{}', 0, '[]', 1);
       INSERT INTO message_receipts (message_id, agent_id, state, at) VALUES (1, 'b', 'seen', 2)`,
    );
    old.close();
    const db = openDatabase(path);
    try {
      expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: LATEST });
      const message = (await new MessageStore(db).get(1))!;
      expect(message.urgent).toBeUndefined();
      expect(await new ReceiptStore(db).forMessage(1)).toEqual([{ agentId: "b", state: "seen", at: 2 }]);
    } finally {
      db.close();
    }
  });
});

describe("openDatabase durability", () => {
  test("durable opens with synchronous=FULL, the default with NORMAL", () => {
    dir = mkdtempSync(join(tmpdir(), "relay-db-"));
    const normal = openDatabase(join(dir, "normal.db"));
    const durable = openDatabase(join(dir, "durable.db"), { durable: true });
    try {
      expect(normal.query("PRAGMA synchronous").get()).toEqual({ synchronous: 1 });
      expect(durable.query("PRAGMA synchronous").get()).toEqual({ synchronous: 2 });
    } finally {
      normal.close();
      durable.close();
    }
  });
});

describe("openDatabase migrations to v7", () => {
  test("v6 → v7: an older database gains the leases table, empty", () => {
    dir = mkdtempSync(join(tmpdir(), "relay-db-"));
    const path = join(dir, "relay.db");
    const old = openDatabase(path);
    old.exec(`${V7_UNDO}; PRAGMA user_version = 6`);
    old.close();
    const db = openDatabase(path);
    try {
      expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: LATEST });
      expect(db.query("SELECT count(*) AS n FROM leases").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});
