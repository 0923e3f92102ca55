// The urgent lane: while a delivery waits in an adapter that holds it until the turn's end (Codex), urgent messages
// that may enter the running turn go past it — one lane batch at a time; the main drain keeps the id order for the rest.
import type { DeliveryRecord, DeliveryRecords } from "./delivery-records.ts";
import { mayEnterRunningTurn } from "./mid-turn.ts";

export interface UrgentLaneParts {
  records: Pick<DeliveryRecords, "hasNew">;
  /** The task the agent works on now (a message about another task waits for the turn's end). */
  currentTaskId: () => number | undefined;
  /** A delivery is held in an adapter that takes midTurn items meanwhile, and deliveries are open. */
  mayPass: () => boolean;
  /** Deliver a batch of the queued messages `pick` accepts. */
  deliver: (pick: (r: DeliveryRecord) => boolean) => Promise<unknown>;
}

export class UrgentLane {
  private running: Promise<unknown> | undefined;

  constructor(private readonly p: UrgentLaneParts) {}

  /** An urgent message was offered (or the lane's last batch ended): send what may go past the held delivery. */
  kick(): void {
    if (this.running || !this.p.mayPass()) return;
    const current = this.p.currentTaskId();
    const pick = (r: DeliveryRecord) => r.message.urgent === true && mayEnterRunningTurn(r.message, current);
    if (!this.p.records.hasNew(pick)) return;
    this.running = this.p.deliver(pick).finally(() => {
      this.running = undefined;
      this.kick();
    });
  }
}
