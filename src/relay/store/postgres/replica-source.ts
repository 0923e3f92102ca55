// What a relay on PostgreSQL reads to follow the others on its database: the message sequence, commands, revocations
// and receipts, with their wake-ups.
import type { SQL } from "bun";
import { type Message, RECEIPT_RANK } from "../../../protocol/index.ts";
import type { ReceiptNotice, ReplicaSource, StoredCommand } from "../types.ts";
import type { PgCommandStore } from "./commands.ts";
import type { PgMessageStore } from "./messages.ts";
import { type PgTokenStore, REVOCATIONS_CHANNEL } from "./tokens.ts";

/** NOTIFY channel of message inserts; the payload is the batch's highest id (a hint: readers go by the sequence). */
export const MESSAGES_CHANNEL = "relay_messages";
/** NOTIFY channel of new commands; the payload is a CommandNotice. */
export const COMMANDS_CHANNEL = "relay_commands";

/** NOTIFY channel of receipts that moved; the payload is a ReceiptNotice plus its `origin` (see PgReceiptStore). */
export const RECEIPTS_CHANNEL = "relay_receipts";

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

  /** Only other relays' receipts reach `onMoved`, in the order they committed (one listening connection). */
  async listenForReceipts(onMoved: (n: ReceiptNotice) => void): Promise<() => Promise<void>> {
    const subscription = await this.sql.listen(RECEIPTS_CHANNEL, (payload) => {
      const notice = parseReceiptNotice(payload, this.origin);
      if (notice) onMoved(notice);
    });
    return () => subscription.unlisten();
  }
}

/** Another store's notice, or undefined (our own, or a payload that is not a notice: not ours to read). */
function parseReceiptNotice(payload: string, ownOrigin: string): ReceiptNotice | undefined {
  try {
    const n = JSON.parse(payload);
    if (n.origin === ownOrigin || typeof n.origin !== "string" || typeof n.agentId !== "string")
      return undefined;
    if (typeof n.state !== "string" || !(n.state in RECEIPT_RANK)) return undefined;
    const messageId = Number(n.messageId);
    const at = Number(n.at);
    if (!Number.isSafeInteger(messageId) || !Number.isFinite(at)) return undefined;
    const midTurn = typeof n.midTurn === "boolean" ? { midTurn: n.midTurn } : {};
    return { messageId, agentId: n.agentId, state: n.state, at, ...midTurn };
  } catch {
    return undefined;
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
