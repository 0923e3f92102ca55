// The PostgreSQL store: one connection pool (Bun's built-in client) behind every sub-store, schema migrated on open.
import { SQL } from "bun";
import { nanoid } from "nanoid";
import { z } from "zod";
import type { Store } from "../types.ts";
import { PgAgentStore } from "./agents.ts";
import { PgAttachmentStore } from "./attachments.ts";
import { PgClaimStore } from "./claims.ts";
import { PgCommandStore } from "./commands.ts";
import { PgLeaseStore } from "./leases.ts";
import { PgMessageStore } from "./messages.ts";
import { migrate, SchemaTooNewError } from "./migrate.ts";
import { PgReceiptStore } from "./receipts.ts";
import { PgReplicaSource } from "./replica-source.ts";
import { PgRetentionStore } from "./retention.ts";
import { PgTaskStore } from "./tasks.ts";
import { PgTokenStore } from "./tokens.ts";

export { SchemaTooNewError } from "./migrate.ts";

/** The PostgreSQL store, with its pool and the token mirror (for tests and tools that look inside). */
export interface PostgresStore extends Store {
  sql: SQL;
  tokens: PgTokenStore;
}

export interface PostgresStoreOptions {
  /** Connections in the pool (default 10): each relay replica takes this many from the server's budget. */
  maxConnections?: number;
  /** Seconds to wait for a connection before failing (default 10). */
  connectionTimeoutSeconds?: number;
}

/** A `postgres://` or `postgresql://` URL naming a host and a database. */
export const postgresUrlSchema = z.string().superRefine((s, ctx) => {
  const why = urlProblem(s);
  if (why) ctx.addIssue({ code: "custom", message: why });
});

function urlProblem(s: string): string | undefined {
  if (!URL.canParse(s)) return "is not a URL";
  const u = new URL(s);
  if (!/^postgres(ql)?:$/.test(u.protocol)) return "must start with postgres:// or postgresql://";
  if (u.hostname === "") return "names no host";
  if (u.pathname.length <= 1) return "names no database (postgres://user@host:5432/<database>)";
  return undefined;
}

/** True when `url` asks for the PostgreSQL store (what createStore decides by). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return "(an unparseable URL)";
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

/** The database could not be opened: a bad URL, a server that refuses, or a schema newer than this relay. */
export class PostgresOpenError extends Error {
  readonly code = "DATABASE_OPEN_FAILED";
  constructor(url: string, why: string, cause?: unknown) {
    super(`cannot open the relay database ${redactUrl(url)}: ${why}`, { cause });
    this.name = "PostgresOpenError";
  }
}

/** Connect, bring the schema up to date, load the token mirror; the pool is closed again on any failure. */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<PostgresStore> {
  const parsed = postgresUrlSchema.safeParse(url);
  if (!parsed.success)
    throw new PostgresOpenError(url, `the URL ${parsed.error.issues[0]?.message ?? "is invalid"}`);
  const sql = new SQL(url, {
    max: options.maxConnections ?? 10,
    connectionTimeout: options.connectionTimeoutSeconds ?? 10,
    // The relay's statements are few and fixed: prepared once per connection.
    prepare: true,
  });
  try {
    await migrate(sql);
    const tokens = await PgTokenStore.open(sql);
    const messages = new PgMessageStore(sql);
    // This store among the relays on the database: its own notifications are told apart by it.
    const origin = nanoid();
    const commands = new PgCommandStore(sql, origin);
    return {
      sql,
      messages,
      claims: new PgClaimStore(sql),
      agents: new PgAgentStore(sql),
      tasks: new PgTaskStore(sql),
      commands,
      tokens,
      attachments: new PgAttachmentStore(sql),
      receipts: new PgReceiptStore(sql, origin),
      leases: new PgLeaseStore(sql),
      retention: new PgRetentionStore(sql),
      replicas: new PgReplicaSource(sql, messages, commands, tokens, origin),
      close: () => sql.close(),
    };
  } catch (e) {
    await sql.close().catch(() => {});
    if (e instanceof SchemaTooNewError) throw new PostgresOpenError(url, e.message, e);
    throw new PostgresOpenError(url, e instanceof Error ? e.message : String(e), e);
  }
}
