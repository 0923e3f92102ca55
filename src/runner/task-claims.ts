// The claims a runner holds for its running tasks: renewed on a timer; one another agent took is let go.
import type { Logger } from "pino";
import { errorMessage } from "../util/errors.ts";
import type { RelayApi } from "./ports.ts";

export interface HeldTaskClaim {
  taskId: number;
  messageId: number;
  /** Set false here when the claim turns out lost. */
  claimHeld: boolean;
}

/** Renew each held claim; a claim that went to another agent is marked no longer held. */
export async function renewTaskClaims(
  tasks: Iterable<HeldTaskClaim>,
  relay: Pick<RelayApi, "renewClaim">,
  agentId: string,
  logger: Logger,
): Promise<void> {
  await Promise.all(
    [...tasks]
      .filter((t) => t.claimHeld)
      .map(async (t) => {
        try {
          const r = await relay.renewClaim(t.messageId, agentId);
          if (r.ok) return;
          logger.warn({ taskId: t.taskId, messageId: t.messageId }, "task claim lost to another agent");
          t.claimHeld = false;
        } catch (e) {
          logger.warn({ taskId: t.taskId, err: errorMessage(e) }, "task claim renewal failed");
        }
      }),
  );
}
