// What a relay follows the other relays on its database by (PostgreSQL): the message sequence, new commands and
// revocations, each a wake-up hint plus a read that does not depend on the hint arriving; and receipts moved, a
// notice only. Part of the Store contract.
import type { Message, ReceiptState } from "../../protocol/index.ts";
import type { StoredCommand } from "./records.ts";

/**
 * The message sequence as every relay on the database sees it. Ids become visible in ascending order (insertBatch
 * serialises commits across relays), so a reader that has seen id N has seen every committed id below it.
 */
export interface MessageSequence {
  /** The highest message id committed now (0 when there is none). */
  lastMessageId(): Promise<number>;
  /** Messages with afterId < id < beforeId, ascending, at most `limit`. */
  messagesBetween(afterId: number, beforeId: number, limit: number): Promise<Message[]>;
  /**
   * Call `wake` whenever messages may have been committed by any relay: a hint that can be late, repeated or lost.
   * Resolves once listening, with the function that stops it.
   */
  listenForMessages(wake: () => void): Promise<() => Promise<void>>;
}

/** New commands as every relay sees them: a notice from the relay that made one, and what is still pending. */
export interface CommandFeed {
  /** Pending commands that any of these agents answers for, oldest first. */
  pendingCommandsFor(agentIds: readonly string[]): Promise<StoredCommand[]>;
  /**
   * Call `onCreated` for each command another relay creates (a hint that can be lost), and `onListening` each time
   * the listening starts (again, after a reconnect: notifications may have been missed). Resolves with its stop.
   */
  listenForCommands(
    onCreated: (c: { id: string; targetAgent: string }) => void,
    onListening: () => void,
  ): Promise<() => Promise<void>>;
}

/** Revocations made by any relay: the token mirror (`TokenStore.isRevoked`) re-read on a wake-up. */
export interface RevocationFeed {
  /** Read every revocation in the database into this store's mirror. */
  refreshRevocations(): Promise<void>;
  /** Call `wake` whenever a relay may have revoked a token (a hint that can be lost); resolves with its stop. */
  listenForRevocations(wake: () => void): Promise<() => Promise<void>>;
}

/** A receipt that moved through another relay, as notified (a refusal's reason is read from the row). */
export interface ReceiptNotice {
  messageId: number;
  agentId: string;
  state: ReceiptState;
  at: number;
  midTurn?: boolean;
}

/**
 * Receipts moved by any relay: a notice per move, and no fallback read. A lost notice loses that push only: the
 * receipt itself is stored (`GET /v1/messages/:id` shows it).
 */
export interface ReceiptFeed {
  /**
   * Call `onMoved` for each receipt another relay moves, in commit order (a hint that can be lost). Resolves once
   * listening, with the function that stops it.
   */
  listenForReceipts(onMoved: (n: ReceiptNotice) => void): Promise<() => Promise<void>>;
}

/** What a relay follows the others on its database by. */
export interface ReplicaSource extends MessageSequence, CommandFeed, RevocationFeed, ReceiptFeed {}
