// The PostgreSQL schema as versioned migrations: the same tables and meaning as the SQLite store's db.ts.
//
// Types: ids are bigserial (messages, tasks, task history), times are bigint epoch milliseconds (as in SQLite),
// flags are boolean. JSON (payloads, params, meta, attachment refs) is stored as `text`, not `jsonb`: the relay never
// queries inside it, only stores and returns whole documents, and text gives them back byte for byte as written
// (jsonb reorders keys and drops duplicates), with no parse on the way in (MessageWriter serialises each payload
// once, before its transaction). Attachments stay in the database as bytea: one backup and one place for every
// replica to read them (no shared directory or object store to run), and their size is capped by the relay's
// upload limit and per-agent quota. Rows that point at a message are deleted with it (ON DELETE CASCADE), which
// is what the SQLite store's retention does by hand.

/** Each entry moves the schema one version forward; never edit a shipped entry, append a new one. */
export const MIGRATIONS: readonly string[] = [
  // v1: everything the SQLite store has at its v10.
  `
  CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);

  CREATE TABLE attachments (
    id text PRIMARY KEY,
    name text NOT NULL,
    mime_type text NOT NULL,
    size bigint NOT NULL,
    data bytea NOT NULL,
    uploaded_by text,
    created_at bigint NOT NULL
  );
  CREATE INDEX attachments_by_uploader ON attachments (uploaded_by, size);
  CREATE INDEX attachments_by_created ON attachments (created_at);

  CREATE TABLE messages (
    id bigserial PRIMARY KEY,
    sender text NOT NULL,
    target text NOT NULL,
    resolved_to_agent text,
    kind text NOT NULL,
    subject text,
    body text NOT NULL,
    payload text NOT NULL,
    claimable boolean NOT NULL,
    urgent boolean NOT NULL DEFAULT false,
    claimed_by text,
    claim_expires_at bigint,
    completed_at bigint,
    reply_to bigint,
    reply_required boolean NOT NULL DEFAULT false,
    attachments text NOT NULL DEFAULT '[]',
    created_at bigint NOT NULL
  );
  CREATE INDEX messages_by_target ON messages (target, id) WHERE resolved_to_agent IS NULL;
  CREATE INDEX messages_by_resolved ON messages (resolved_to_agent, id) WHERE resolved_to_agent IS NOT NULL;
  CREATE INDEX messages_by_reply_to ON messages (reply_to, sender) WHERE reply_to IS NOT NULL;
  CREATE INDEX messages_reply_required ON messages (id) WHERE reply_required;
  CREATE INDEX messages_by_created ON messages (created_at);

  CREATE TABLE message_reads (
    message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    agent_id text NOT NULL,
    at bigint NOT NULL,
    PRIMARY KEY (message_id, agent_id)
  );

  CREATE TABLE message_reactions (
    message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    agent_id text NOT NULL,
    reaction text NOT NULL,
    at bigint NOT NULL,
    PRIMARY KEY (message_id, agent_id, reaction)
  );

  CREATE TABLE message_attachments (
    attachment_id text NOT NULL,
    message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (attachment_id, message_id)
  );
  CREATE INDEX message_attachments_by_message ON message_attachments (message_id);

  CREATE TABLE message_receipts (
    message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    agent_id text NOT NULL,
    state text NOT NULL,
    reason text,
    at bigint NOT NULL,
    mid_turn boolean,
    PRIMARY KEY (message_id, agent_id)
  );

  CREATE TABLE agents (
    id text PRIMARY KEY,
    instance_id text NOT NULL,
    component_id text NOT NULL,
    machine text NOT NULL,
    status text NOT NULL,
    semantic_status text NOT NULL,
    ready boolean NOT NULL,
    capabilities text NOT NULL,
    tags text NOT NULL,
    label text,
    meta text NOT NULL,
    heartbeat_interval_ms bigint NOT NULL,
    connected_at bigint NOT NULL,
    last_heartbeat_at bigint NOT NULL
  );
  CREATE INDEX agents_by_label ON agents (label) WHERE label IS NOT NULL;
  CREATE INDEX agents_by_component ON agents (component_id);

  CREATE TABLE agent_origins (
    id text PRIMARY KEY,
    first_registered_at bigint NOT NULL,
    last_message_id bigint NOT NULL
  );

  CREATE TABLE tasks (
    id bigserial PRIMARY KEY,
    title text NOT NULL,
    body text NOT NULL,
    status text NOT NULL,
    assignee text,
    time_limit_seconds bigint,
    outcome text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
  );
  CREATE TABLE task_history (
    id bigserial PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES tasks (id),
    status text NOT NULL,
    agent_id text NOT NULL,
    body text,
    metadata text,
    at bigint NOT NULL
  );
  CREATE INDEX task_history_by_task ON task_history (task_id, id);

  CREATE TABLE commands (
    id text PRIMARY KEY,
    type text NOT NULL,
    target text NOT NULL,
    target_agent text NOT NULL,
    sender text,
    sender_role text,
    params text NOT NULL,
    status text NOT NULL,
    result text,
    error text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
  );
  CREATE INDEX commands_pending_by_agent ON commands (target_agent, created_at) WHERE status = 'pending';

  CREATE TABLE issued_tokens (
    jti text PRIMARY KEY,
    agent_id text NOT NULL,
    expires_at bigint NOT NULL
  );
  CREATE INDEX issued_tokens_by_agent ON issued_tokens (agent_id);
  CREATE INDEX issued_tokens_by_expiry ON issued_tokens (expires_at);

  CREATE TABLE revoked_tokens (
    jti text PRIMARY KEY,
    effective_at bigint NOT NULL,
    expires_at bigint NOT NULL
  );
  CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at);

  CREATE TABLE leases (
    key text PRIMARY KEY,
    id text NOT NULL UNIQUE,
    agent_id text NOT NULL,
    instance_id text NOT NULL,
    meta text NOT NULL,
    acquired_at bigint NOT NULL,
    renewed_at bigint NOT NULL,
    expires_at bigint NOT NULL
  );
  CREATE INDEX leases_by_agent ON leases (agent_id);
  CREATE INDEX leases_by_expiry ON leases (expires_at);
  `,
];
