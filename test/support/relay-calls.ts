// Calls e2e tests make to the relay as its root: a message from "tester", a command waited to its end, a task.
import { expect } from "bun:test";
import type { TestRelay } from "./relay.ts";
import { waitFor } from "./wait-for.ts";

/** A message from "tester" (the root token speaking for it) to `agentId`; answers its id. */
export async function sendFromTester(
  relay: TestRelay,
  agentId: string,
  body: string,
  payload: Record<string, unknown> = {},
): Promise<{ id: number }> {
  const res = await relay.call(relay.rootToken, "POST", "/v1/messages", {
    to: agentId,
    from: "tester",
    body,
    payload,
  });
  expect(res.status).toBe(200);
  return res.body as { id: number };
}

/** Send a command to `agentId` and wait (bounded) for it to succeed or fail; answers the final command. */
export async function commandToEnd(relay: TestRelay, agentId: string, type: string, timeoutMs = 60_000) {
  const created = await relay.call(relay.rootToken, "POST", "/v1/commands", {
    target: agentId,
    type,
    params: {},
  });
  expect(created.status).toBe(200);
  return waitFor(
    async () => {
      const c = (await relay.call(relay.rootToken, "GET", `/v1/commands/${created.body.id}`)).body;
      return (c.status === "succeeded" || c.status === "failed") && c;
    },
    { timeoutMs, what: `${type} to finish` },
  );
}

/** The agent's semantic status on the relay (busy, idle, error, …). */
export async function semanticStatusOf(relay: TestRelay, agentId: string): Promise<string | undefined> {
  const res = await relay.call(relay.rootToken, "GET", `/v1/agents/${agentId}`);
  return res.status === 200 ? res.body.semanticStatus : undefined;
}

/** A new task on the relay; answers its id. */
export async function createTask(relay: TestRelay, title: string): Promise<number> {
  const task = await relay.call(relay.rootToken, "POST", "/v1/tasks", { title });
  expect(task.status).toBe(200);
  return task.body.id as number;
}
