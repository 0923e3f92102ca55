// Relay messages handed to Codex (a turn started or steered) waiting for Codex to record them as a user message.
import { randomUUID } from "node:crypto";

/** One input we gave Codex: its relay message ids, and whether it went into a running turn. */
export interface SentInput {
  /** Sent as `clientUserMessageId`; Codex echoes it as the userMessage item's `clientId`. */
  clientId: string;
  messageIds: number[];
  midTurn: boolean;
  /** The turn it belongs to, once known (a steer knows it up front, a turn/start from its answer). */
  turnId?: string;
}

/** Beyond this many unconfirmed inputs the oldest are forgotten (their messages end up reported ambiguous). */
const MAX_PENDING = 50;

export class PendingConfirmations {
  private readonly pending: SentInput[] = [];

  /** Register an input before it is sent, so a user message recorded before the request's answer still matches. */
  expect(messageIds: number[], midTurn: boolean, turnId?: string): SentInput {
    const sent: SentInput = { clientId: `relay-${randomUUID()}`, messageIds, midTurn, turnId };
    this.pending.push(sent);
    if (this.pending.length > MAX_PENDING) this.pending.shift();
    return sent;
  }

  /** Codex refused the request: nothing of it will be recorded. */
  withdraw(sent: SentInput): void {
    const at = this.pending.indexOf(sent);
    if (at >= 0) this.pending.splice(at, 1);
  }

  /**
   * The input a recorded user message confirms: the one whose client id it carries, else (a Codex that does not
   * echo it) the oldest input of its turn. Taken: it confirms once.
   */
  take(turnId: string | undefined, clientId: string | null | undefined): SentInput | undefined {
    const at = clientId
      ? this.pending.findIndex((s) => s.clientId === clientId)
      : this.pending.findIndex((s) => s.turnId !== undefined && s.turnId === turnId);
    return at >= 0 ? this.pending.splice(at, 1)[0] : undefined;
  }

  clear(): void {
    this.pending.length = 0;
  }
}
