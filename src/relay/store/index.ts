// The relay's store: one database, one prepared-statement holder per resource.
import type { Database } from "bun:sqlite";
import { AgentStore } from "./agents.ts";
import { AttachmentStore } from "./attachments.ts";
import { ClaimStore } from "./claims.ts";
import { CommandStore } from "./commands.ts";
import { openDatabase } from "./db.ts";
import { LeaseStore } from "./leases.ts";
import { MessageStore } from "./messages.ts";
import { ReceiptStore } from "./receipts.ts";
import { TaskStore } from "./tasks.ts";
import { TokenStore } from "./tokens.ts";

export interface Store {
  db: Database;
  messages: MessageStore;
  claims: ClaimStore;
  agents: AgentStore;
  tasks: TaskStore;
  commands: CommandStore;
  tokens: TokenStore;
  attachments: AttachmentStore;
  receipts: ReceiptStore;
  leases: LeaseStore;
  close(): void;
}

export function openStore(path: string, options: { durable?: boolean } = {}): Store {
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
    close: () => db.close(),
  };
}
