// What a relay on PostgreSQL reads to follow the others on its database: the message sequence and its wake-up.
import type { SQL } from "bun";
import type { Message } from "../../../protocol/index.ts";
import type { ReplicaSource, StoredCommand } from "../types.ts";
import type { PgCommandStore } from "./commands.ts";
import type { PgMessageStore } from "./messages.ts";
import { type PgTokenStore, REVOCATIONS_CHANNEL } from "./tokens.ts";

/** NOTIFY channel of message inserts; the payload is the batch's highest id (a hint: readers go by the sequence). */
export const MESSAGES_CHANNEL = "relay_messages";
/** NOTIFY channel of new commands; the payload is a CommandNotice. */
export const COMMANDS_CHANNEL = "relay_commands";

/** A new command, as notified: who answers for it, and which store (relay) created it. */
export interface CommandNotice {
  id: string;
  targetAgent: string;
  origin: string;
}

export class PgReplicaSource implements ReplicaSource {
  constructor(
    private readonly sql: SQL,
    private readonly messages: PgMessageStore,
    private readonly commands: PgCommandStore,
    private readonly tokens: PgTokenStore,
    private readonly origin: string,
  ) {}

  refreshRevocations(): Promise<void> {
    return this.tokens.refreshRevocations();
  }

  /** After a reconnect `wake` runs too, since notifications were lost meanwhile. */
  async listenForRevocations(wake: () => void): Promise<() => Promise<void>> {
    const subscription = await this.sql.listen(REVOCATIONS_CHANNEL, wake, wake);
    return () => subscription.unlisten();
  }

  lastMessageId(): Promise<number> {
    return this.messages.lastId();
  }

  messagesBetween(afterId: number, beforeId: number, limit: number): Promise<Message[]> {
    return this.messages.between(afterId, beforeId, limit);
  }

  /** One dedicated connection (Bun's); after a reconnect `wake` runs too, since notifications were lost meanwhile. */
  async listenForMessages(wake: () => void): Promise<() => Promise<void>> {
    const subscription = await this.sql.listen(MESSAGES_CHANNEL, wake, wake);
    return () => subscription.unlisten();
  }

  pendingCommandsFor(agentIds: readonly string[]): Promise<StoredCommand[]> {
    return agentIds.length === 0 ? Promise.resolve([]) : this.commands.pendingForAny(agentIds);
  }

  /** Only other relays' commands reach `onCreated`; a payload that is not a notice is ignored (not ours to read). */
  async listenForCommands(
    onCreated: (c: { id: string; targetAgent: string }) => void,
    onListening: () => void,
  ): Promise<() => Promise<void>> {
    const subscription = await this.sql.listen(
      COMMANDS_CHANNEL,
      (payload) => {
        const notice = parseNotice(payload);
        if (notice && notice.origin !== this.origin)
          onCreated({ id: notice.id, targetAgent: notice.targetAgent });
      },
      onListening,
    );
    return () => subscription.unlisten();
  }
}

function parseNotice(payload: string): CommandNotice | undefined {
  try {
    const n = JSON.parse(payload) as Partial<CommandNotice>;
    if (typeof n.id === "string" && typeof n.targetAgent === "string" && typeof n.origin === "string")
      return n as CommandNotice;
  } catch {}
  return undefined;
}
