// Tasks in tests: a creator assigns one with its linked message, and a test waits for it to end.
import type { TestRelay } from "./relay.ts";
import { waitFor } from "./wait-for.ts";

/** `token`'s agent creates a task for `assignee` and sends it the linked message (`body`); answers the task id. */
export async function assignTask(
  relay: Pick<TestRelay, "call">,
  token: string,
  o: { assignee: string; body: string; title?: string; timeLimitSeconds?: number },
): Promise<number> {
  const created = await relay.call(token, "POST", "/v1/tasks", {
    title: o.title ?? "scripted work",
    assignee: o.assignee,
    timeLimitSeconds: o.timeLimitSeconds,
  });
  if (created.status !== 200)
    throw new Error(`task create: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.id as number;
  const sent = await relay.call(token, "POST", "/v1/messages", {
    to: o.assignee,
    kind: "task",
    body: o.body,
    payload: { taskId: id },
  });
  if (sent.status !== 200) throw new Error(`task message: ${sent.status} ${JSON.stringify(sent.body)}`);
  return id;
}

/** The task once it is done or failed (read with the root token). */
export function waitForTaskEnd(
  relay: Pick<TestRelay, "call" | "rootToken">,
  id: number,
  timeoutMs = 40_000,
  // biome-ignore lint/suspicious/noExplicitAny: tests read the task loosely and assert on it.
): Promise<any> {
  return waitFor(
    async () => {
      const t = (await relay.call(relay.rootToken, "GET", `/v1/tasks/${id}`)).body;
      return (t.status === "done" || t.status === "failed") && t;
    },
    { timeoutMs, what: `task ${id} to end` },
  );
}
