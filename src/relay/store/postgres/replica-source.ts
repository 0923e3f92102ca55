// What a relay on PostgreSQL reads to follow the others on its database: the message sequence and its wake-up.
import type { SQL } from "bun";
import type { Message } from "../../../protocol/index.ts";
import type { ReplicaSource } from "../types.ts";
import type { PgMessageStore } from "./messages.ts";

/** NOTIFY channel of message inserts; the payload is the batch's highest id (a hint: readers go by the sequence). */
export const MESSAGES_CHANNEL = "relay_messages";

export class PgReplicaSource implements ReplicaSource {
  constructor(
    private readonly sql: SQL,
    private readonly messages: PgMessageStore,
  ) {}

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
}
