// Adding input to Codex's running turn (turn/steer), telling a refusal (the turn is gone) from a failure.
import { isRunnerError } from "../../util/errors.ts";
import { type CodexRpc, RpcError } from "./rpc.ts";
import { TurnSteerResult } from "./schemas.ts";

export interface SteerRequest {
  threadId: string;
  /** The turn we believe runs; Codex refuses when another runs or none does ("no active turn to steer"). */
  turnId: string;
  text: string;
  /** Echoed on the userMessage item Codex records (see PendingConfirmations). */
  clientId: string;
}

/**
 * `steered`: Codex took the input into the turn. `refused`: Codex answered with an error — the turn ended in between,
 * another one runs, or it cannot be steered (a compaction) — and took nothing. `unanswered`: no answer in time, so it
 * may have landed. A closed socket or an abort throws (the session is going away).
 */
export async function steerTurn(
  rpc: Pick<CodexRpc, "request">,
  r: SteerRequest,
  signal: AbortSignal,
): Promise<"steered" | "refused" | "unanswered"> {
  try {
    await rpc.request(
      "turn/steer",
      {
        threadId: r.threadId,
        expectedTurnId: r.turnId,
        clientUserMessageId: r.clientId,
        input: [{ type: "text", text: r.text }],
      },
      TurnSteerResult,
      { signal },
    );
    return "steered";
  } catch (e) {
    if (e instanceof RpcError) return "refused";
    if (isRunnerError(e, "TIMEOUT")) return "unanswered";
    throw e;
  }
}
