// Opens the relay's SQLite database: pragmas, parent directory, and the schema migrations.
import { Database } from "bun:sqlite";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";

export interface OpenDbOptions {
  /** `durable` trades write speed for surviving an OS crash (synchronous=FULL); a process kill loses nothing either way in WAL mode. */
  durable?: boolean;
}

/** Each entry moves the schema one version forward; never edit a shipped entry, append a new one. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

  CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sender TEXT NOT NULL,
    target TEXT NOT NULL,
    resolved_to_agent TEXT,
    kind TEXT NOT NULL,
    subject TEXT,
    body TEXT NOT NULL,
    payload TEXT NOT NULL,
    claimable INTEGER NOT NULL,
    claimed_by TEXT,
    claim_expires_at INTEGER,
    completed_at INTEGER,
    reply_to INTEGER,
    reply_required INTEGER NOT NULL DEFAULT 0,
    attachments TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL
  );
  CREATE INDEX messages_by_target ON messages (target, id) WHERE resolved_to_agent IS NULL;
  CREATE INDEX messages_by_resolved ON messages (resolved_to_agent, id) WHERE resolved_to_agent IS NOT NULL;
  CREATE INDEX messages_by_reply_to ON messages (reply_to, sender) WHERE reply_to IS NOT NULL;
  CREATE INDEX messages_reply_required ON messages (id) WHERE reply_required = 1;

  CREATE TABLE message_reads (
    message_id INTEGER NOT NULL REFERENCES messages (id),
    agent_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (message_id, agent_id)
  ) WITHOUT ROWID;

  CREATE TABLE message_reactions (
    message_id INTEGER NOT NULL REFERENCES messages (id),
    agent_id TEXT NOT NULL,
    reaction TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (message_id, agent_id, reaction)
  ) WITHOUT ROWID;

  CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    component_id TEXT NOT NULL,
    machine TEXT NOT NULL,
    status TEXT NOT NULL,
    semantic_status TEXT NOT NULL,
    ready INTEGER NOT NULL,
    capabilities TEXT NOT NULL,
    tags TEXT NOT NULL,
    label TEXT,
    meta TEXT NOT NULL,
    heartbeat_interval_ms INTEGER NOT NULL,
    connected_at INTEGER NOT NULL,
    last_heartbeat_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX agents_by_label ON agents (label) WHERE label IS NOT NULL;
  CREATE INDEX agents_by_component ON agents (component_id);

  CREATE TABLE tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    assignee TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE task_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL REFERENCES tasks (id),
    status TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    body TEXT,
    metadata TEXT,
    at INTEGER NOT NULL
  );
  CREATE INDEX task_history_by_task ON task_history (task_id, id);

  CREATE TABLE commands (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    target TEXT NOT NULL,
    target_agent TEXT NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT,
    error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX commands_pending ON commands (target, created_at) WHERE status = 'pending';

  CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY,
    effective_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // v2: who uploaded each attachment, and which messages reference it, so downloads can be limited to
  // the agents allowed to see them. Existing rows have no uploader; their references are backfilled.
  `
  ALTER TABLE attachments ADD COLUMN uploaded_by TEXT;

  CREATE TABLE message_attachments (
    attachment_id TEXT NOT NULL,
    message_id INTEGER NOT NULL REFERENCES messages (id),
    PRIMARY KEY (attachment_id, message_id)
  ) WITHOUT ROWID;
  INSERT OR IGNORE INTO message_attachments (attachment_id, message_id)
    SELECT json_extract(j.value, '$.id'), m.id FROM messages m, json_each(m.attachments) j;
  `,
  // v3: pending commands are found by the agent they were resolved to; every issued token is recorded so an
  // agent's tokens can be revoked together; each agent id's first registration (kept across deregistration)
  // with the last message id at that moment, so older group messages are not delivered to it.
  `
  CREATE INDEX commands_pending_by_agent ON commands (target_agent, created_at) WHERE status = 'pending';

  CREATE TABLE issued_tokens (
    jti TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX issued_tokens_by_agent ON issued_tokens (agent_id);
  CREATE INDEX issued_tokens_by_expiry ON issued_tokens (expires_at);
  CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at);

  CREATE TABLE agent_origins (
    id TEXT PRIMARY KEY,
    first_registered_at INTEGER NOT NULL,
    last_message_id INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO agent_origins (id, first_registered_at, last_message_id) SELECT id, connected_at, 0 FROM agents;
  `,
  // v4: indexes for quotas and retention, so neither reads past a row's large body or blob: attachment bytes
  // per uploader, and messages and attachments by age.
  `
  CREATE INDEX IF NOT EXISTS attachments_by_uploader ON attachments (uploaded_by, size);
  CREATE INDEX IF NOT EXISTS attachments_by_created ON attachments (created_at);
  CREATE INDEX IF NOT EXISTS messages_by_created ON messages (created_at);
  `,
  // v5: delivery receipts, one row per (message, recipient agent) with its latest state. The first state is
  // `refused` (the agent can never deliver the message); later states share the table.
  `
  CREATE TABLE message_receipts (
    message_id INTEGER NOT NULL REFERENCES messages (id),
    agent_id TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    at INTEGER NOT NULL,
    PRIMARY KEY (message_id, agent_id)
  ) WITHOUT ROWID;
  `,
  // v6: who created each command ("root" or the runtime token's agent); NULL for commands created before.
  `
  ALTER TABLE commands ADD COLUMN sender TEXT;
  `,
  // v7: leases, one live holder (agent + runner instance) per key until it expires (see store/leases.ts).
  `
  CREATE TABLE leases (
    key TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    agent_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    meta TEXT NOT NULL,
    acquired_at INTEGER NOT NULL,
    renewed_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX leases_by_agent ON leases (agent_id);
  CREATE INDEX leases_by_expiry ON leases (expires_at);
  `,
  // v8: a task's time limit (seconds, NULL for none) and its outcome (JSON, set when it ends done or failed).
  `
  ALTER TABLE tasks ADD COLUMN time_limit_seconds INTEGER;
  ALTER TABLE tasks ADD COLUMN outcome TEXT;
  `,
  // v9: the role of a command's creator (root, operator, agent); NULL for commands created before.
  `
  ALTER TABLE commands ADD COLUMN sender_role TEXT;
  `,
  // v10: a message's urgency (delivered into a busy agent's running turn), and whether a recipient's model got it
  // mid-turn (1) or at a turn boundary (0); NULL where unknown.
  `
  ALTER TABLE messages ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE message_receipts ADD COLUMN mid_turn INTEGER;
  `,
];

/** Thrown when the database cannot be opened; the message names the file and says what is wrong with it. */
export class DatabaseOpenError extends Error {
  constructor(path: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`cannot open the relay database ${path}: ${why}`, { cause });
    this.name = "DatabaseOpenError";
  }
}

/** Open (creating if needed) the relay database at `path` (":memory:" allowed) and bring its schema up to date. */
export function openDatabase(path: string, options: OpenDbOptions = {}): Database {
  try {
    return open(path, options);
  } catch (e) {
    throw new DatabaseOpenError(path, e);
  }
}

function open(path: string, options: OpenDbOptions): Database {
  if (path !== ":memory:") makePrivate(path);
  const db = new Database(path, { create: true, strict: true });
  try {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(`PRAGMA synchronous = ${options.durable ? "FULL" : "NORMAL"}`);
    db.exec("PRAGMA foreign_keys = ON");
    db.exec("PRAGMA busy_timeout = 5000");
    migrate(db);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/**
 * The database holds the token signing secret, so it is private wherever it lives: directories created for it
 * are 0700, and the file is created 0600 before SQLite opens it. SQLite gives its -wal and -shm files the main
 * file's mode; files left wider by an older relay are narrowed here. An existing parent directory is left alone
 * (it may be /tmp); the files in it are what must not be readable.
 */
function makePrivate(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, "a", 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}

function migrate(db: Database): void {
  const row = db.query<{ user_version: number }, []>("PRAGMA user_version").get();
  const current = row?.user_version ?? 0;
  if (current > MIGRATIONS.length) {
    throw new Error(`relay database schema v${current} is newer than this relay (v${MIGRATIONS.length})`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    })();
  }
}
