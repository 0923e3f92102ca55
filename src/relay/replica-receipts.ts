// Several relays on one database: a receipt moved through another relay reaches this relay's sessions of the
// message's sender and of the supervisor, as `announce` pushes one moved here.
import type { Receipt } from "../protocol/index.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { WakeUps } from "./replica-wake-ups.ts";
import type { MessageStore, ReceiptFeed, ReceiptNotice, ReceiptStore } from "./store/types.ts";

export interface ReplicaReceiptsOptions {
  feed: ReceiptFeed;
  messages: Pick<MessageStore, "addressing">;
  receipts: Pick<ReceiptStore, "forMessage">;
  /** This relay's bus: who has an open session here, and the push a local move takes. */
  hub: {
    connectedInstances(): readonly { agentId: string }[];
    hasSupervisor(): boolean;
    publishReceipt(sender: string, messageId: number, receipt: Receipt): void;
  };
  clock: Clock;
  logger: Logger;
}

/**
 * On a notice from another relay, the message's sender is read and the receipt pushed, one notice at a time so the
 * frames keep the order the moves committed in. Only the notice wakes this: there is no timer-based replay, so a
 * lost notice (a dropped listening connection) loses that push. The receipt itself is never lost — it is stored and
 * `GET /v1/messages/:id` shows it — and the next move of the same receipt is pushed again as usual.
 */
export class ReplicaReceipts {
  private readonly wakeUps: WakeUps;
  /** Reads and pushes, one at a time. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: ReplicaReceiptsOptions) {
    this.wakeUps = new WakeUps(o);
  }

  start(): Promise<void> {
    return this.wakeUps.start(() =>
      this.o.feed.listenForReceipts((n) => this.serially(() => this.onMoved(n))),
    );
  }

  /** Stop listening and pushing (resolves after a read in progress). */
  async stop(): Promise<void> {
    await this.wakeUps.stop();
    await this.chain;
  }

  private async onMoved(n: ReceiptNotice): Promise<void> {
    const { hub } = this.o;
    const local = new Set(hub.connectedInstances().map((i) => i.agentId));
    if (local.size === 0 && !hub.hasSupervisor()) return;
    const sender = (await this.o.messages.addressing([n.messageId])).get(n.messageId)?.from;
    if (sender === undefined || (!local.has(sender) && !hub.hasSupervisor())) return;
    const receipt: Receipt = {
      agentId: n.agentId,
      state: n.state,
      at: n.at,
      ...(n.midTurn !== undefined ? { midTurn: n.midTurn } : {}),
    };
    // A refusal's reason is not in the notice (it can be long): the row has it, and a refusal is final.
    if (n.state === "refused") {
      const stored = (await this.o.receipts.forMessage(n.messageId)).find((r) => r.agentId === n.agentId);
      if (stored?.reason !== undefined) receipt.reason = stored.reason;
    }
    hub.publishReceipt(sender, n.messageId, receipt);
  }

  private serially(run: () => Promise<void>): void {
    if (!this.wakeUps.following) return;
    this.chain = this.chain
      .then(run)
      .catch((e) => this.o.logger.warn({ err: e }, "could not push another relay's receipt"));
  }
}
