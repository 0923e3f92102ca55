// What a DeliveryQueue is built from: the agent's address and the parts it delivers through.
import type { Logger } from "pino";
import type { AgentAddress } from "../protocol/index.ts";
import type { ProviderAdapter } from "../providers/adapter.ts";
import type { Clock } from "../util/clock.ts";
import type { AttachmentCache } from "./attachment-cache.ts";
import type { DeliveryGate } from "./delivery-gate.ts";
import type { RelayApi } from "./ports.ts";
import type { ReceiptReporter } from "./receipt-reporter.ts";
import type { StatusPublisher } from "./status-publisher.ts";
import type { TaskTracker } from "./task-tracker.ts";
import type { WorkTracker } from "./work-tracker.ts";

export interface DeliveryQueueOptions {
  agent: AgentAddress;
  relay: Pick<
    RelayApi,
    "claimMany" | "releaseClaim" | "completeClaims" | "markReadMany" | "setTaskStatus" | "refuseMessage"
  >;
  /**
   * Takes the deliveries. When it confirms what reached the model (`confirmsDelivery`), a `written` message it never
   * confirmed is delivered again if the provider exits; without confirmations, `written` is final.
   */
  adapter: Pick<ProviderAdapter, "deliver" | "confirmsDelivery" | "takesMidTurnWhileHolding">;
  attachments: Pick<AttachmentCache, "fetchAll">;
  /** Closed while a graceful stop or restart lets the provider take in what it was last given. */
  gate: Pick<DeliveryGate, "isOpen" | "delivered">;
  /** The supervisor: deliveries wait until a provider is running. */
  provider: { readonly isRunning: boolean };
  /** Deliveries wait while the provider needs input; a claimed message is work until handed over. */
  work: WorkTracker;
  /** Task-linked deliveries go to the task tracker, which holds their claims until the task is done. */
  tasks: Pick<TaskTracker, "track" | "prepare" | "held">;
  status: Pick<StatusPublisher, "timelineEvent">;
  clock: Clock;
  logger: Logger;
  /** Retry delays after a failed delivery: first, cap. */
  retry?: { initialMs: number; maxMs: number };
  /** Most messages handed to the provider in one deliver() call. */
  batchSize?: number;
  /** How long a written message waits for its confirmation. */
  confirmDeadlineMs?: number;
  /** Told every state a message enters (the runner reports them to the relay as receipts). */
  receipts?: Pick<ReceiptReporter, "note">;
}
