// Opening the Codex thread a session drives: resume a known one, else (or when Codex no longer knows it) start one.
import type { Logger } from "../../util/logger.ts";
import type { CodexRpc } from "./rpc.ts";
import { ThreadOpenResult } from "./schemas.ts";
import type { ThreadSettings } from "./session-types.ts";

export async function openThread(
  rpc: Pick<CodexRpc, "request">,
  settings: ThreadSettings,
  logger: Logger,
  resumeId?: string,
): Promise<{ threadId: string; resumed: boolean }> {
  if (resumeId) {
    try {
      const params = { threadId: resumeId, excludeTurns: true };
      const r = await rpc.request("thread/resume", params, ThreadOpenResult);
      return { threadId: r.thread.id, resumed: true };
    } catch (e) {
      logger.warn({ err: e, threadId: resumeId }, "codex thread could not be resumed; starting a new one");
    }
  }
  const params = {
    cwd: settings.cwd,
    model: settings.model,
    developerInstructions: settings.developerInstructions,
    ...(settings.effort ? { config: { model_reasoning_effort: settings.effort } } : {}),
  };
  const r = await rpc.request("thread/start", params, ThreadOpenResult);
  return { threadId: r.thread.id, resumed: false };
}
