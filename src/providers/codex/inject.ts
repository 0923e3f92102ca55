// A note put into the Codex thread's model-visible history without starting a turn (thread/inject_items).
import type { CodexRpc } from "./rpc.ts";
import { EmptyResult } from "./schemas.ts";

/**
 * Appends one developer message (raw Responses API item) to the thread: the model sees it on its next request, and
 * no turn starts — the note restates context, it is nothing to answer.
 */
export async function injectDeveloperNote(
  rpc: Pick<CodexRpc, "request">,
  threadId: string,
  text: string,
  signal: AbortSignal,
): Promise<void> {
  const items = [{ type: "message", role: "developer", content: [{ type: "input_text", text }] }];
  await rpc.request("thread/inject_items", { threadId, items }, EmptyResult, { signal });
}
