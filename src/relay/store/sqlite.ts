// The SQLite store (the embedded default): one database file, one prepared-statement holder per resource.
// Every statement runs synchronously on the relay's thread; the async methods answer already settled promises.
import type { Database } from "bun:sqlite";
import { AgentStore } from "./agents.ts";
import { AttachmentStore } from "./attachments.ts";
import { ClaimStore } from "./claims.ts";
import { CommandStore } from "./commands.ts";
import { openDatabase } from "./db.ts";
import { LeaseStore } from "./leases.ts";
import { MessageStore } from "./messages.ts";
import { ReceiptStore } from "./receipts.ts";
import { RetentionStore } from "./retention.ts";
import { TaskStore } from "./tasks.ts";
import { TokenStore } from "./tokens.ts";
import type { Store } from "./types.ts";

/** The SQLite store, with the database and the token mirror's size (for tests and tools that look inside). */
export interface SqliteStore extends Store {
  db: Database;
  tokens: TokenStore;
}

/** Open (creating if needed) the database at `path` (":memory:" allowed) with its schema up to date. */
export function openStore(path: string, options: { durable?: boolean } = {}): SqliteStore {
  const db = openDatabase(path, options);
  return {
    db,
    messages: new MessageStore(db),
    claims: new ClaimStore(db),
    agents: new AgentStore(db),
    tasks: new TaskStore(db),
    commands: new CommandStore(db),
    tokens: new TokenStore(db),
    attachments: new AttachmentStore(db),
    receipts: new ReceiptStore(db),
    leases: new LeaseStore(db),
    retention: new RetentionStore(db),
    close: async () => db.close(),
  };
}
