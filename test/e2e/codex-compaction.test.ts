// End to end: after the real Codex compacts its thread (agent.compact → thread/compact/start), the runner's note — the
// task the agent holds, how to report it, the relay instructions — joins the thread as a developer message through
// thread/inject_items (no turn), and the next model request carries it exactly once. Real runner CLI, real relay,
// real `codex app-server`, scripted fake Responses API.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { NOTE_HEADER } from "../../src/runner/compaction-note.ts";
import {
  type CodexAgentHome,
  type CodexRunnerChild,
  createCodexAgentHome,
  reapCodexLeftovers,
  startCodexRunner,
} from "../support/codex-runner.ts";
import { type FakeResponsesApi, failed, startFakeResponsesApi, text } from "../support/fake-responses-api.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";

setDefaultTimeout(90_000);

let relay: TestRelay;
let fake: FakeResponsesApi;
beforeAll(async () => {
  relay = await startTestRelay();
  fake = await startFakeResponsesApi();
});
afterAll(async () => {
  await fake?.stop();
  await relay?.close();
});

const agents: CodexAgentHome[] = [];
const children: CodexRunnerChild[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await c.kill();
  for (const a of agents.splice(0)) {
    await reapCodexLeftovers(a);
    a.remove();
  }
});

async function send(agent: CodexAgentHome, body: string, payload: Record<string, unknown> = {}) {
  const res = await relay.call(relay.rootToken, "POST", "/v1/messages", {
    to: agent.agentId,
    from: "tester",
    body,
    payload,
  });
  expect(res.status).toBe(200);
  return res.body as { id: number };
}

async function command(agent: CodexAgentHome, type: string) {
  const created = await relay.call(relay.rootToken, "POST", "/v1/commands", {
    target: agent.agentId,
    type,
    params: {},
  });
  expect(created.status).toBe(200);
  return waitFor(
    async () => {
      const c = (await relay.call(relay.rootToken, "GET", `/v1/commands/${created.body.id}`)).body;
      return (c.status === "succeeded" || c.status === "failed") && c;
    },
    { timeoutMs: 40_000, what: `${type} to finish` },
  );
}

const semanticStatus = async (agent: CodexAgentHome) =>
  (await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}`)).body.semanticStatus as string;

const modelSaw = (needle: string) =>
  waitFor(() => fake.requestsFor(needle)[0], { timeoutMs: 20_000, what: `the model to see "${needle}"` });

const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

describe("codex: the compaction note (real Codex app-server, fake model)", () => {
  test("after agent.compact the next model request carries the task note exactly once, as a developer message", async () => {
    const agent = createCodexAgentHome("codex-compact");
    agents.push(agent);
    const token = await relay.mintToken(agent.agentId);
    children.push(await startCodexRunner({ relay, fake, agent, token }));

    // Some conversation first, so the compaction has something to summarise.
    fake.script("WARM-UP", [text("noted: teal")]);
    await send(agent, "WARM-UP remember the colour teal");
    await modelSaw("WARM-UP");
    await waitFor(async () => (await semanticStatus(agent)) === "idle", { what: "the agent to be idle" });

    // A task whose turn failed stays the agent's (the runner holds it until it is reported or a turn ends well).
    const task = await relay.call(relay.rootToken, "POST", "/v1/tasks", { title: "port the parser to zig" });
    expect(task.status).toBe(200);
    const taskId = task.body.id as number;
    let failing = true;
    fake.script("TASK-START", () => (failing ? [failed("scripted failure")] : [text("resumed")]));
    await send(agent, "TASK-START port it", { taskId });
    await waitFor(async () => (await semanticStatus(agent)) === "error", {
      timeoutMs: 30_000,
      what: "the task's turn to fail",
    });
    failing = false;

    const before = fake.requests.length;
    expect((await command(agent, "agent.compact")).status).toBe("succeeded");
    const compaction = fake.requests.slice(before);
    expect(compaction.some((r) => r.requestKind === "compaction")).toBe(true);
    // The note is context, not a turn: nothing but the compaction asked the model anything.
    expect(compaction.filter((r) => r.requestKind !== "compaction")).toEqual([]);

    await send(agent, "AFTER-COMPACT what are you doing?");
    const next = await modelSaw("AFTER-COMPACT");
    const input = JSON.stringify(next.body.input ?? []);
    expect(count(input, NOTE_HEADER)).toBe(1);
    expect(next.developerText).toContain(NOTE_HEADER);
    expect(next.developerText).toContain(`Your current task: #${taskId} "port the parser to zig"`);
    expect(next.developerText).toContain(`task done|partial|fail ${taskId} --summary`);
    expect(next.developerText).toContain("[relay message #<id> from <sender>]");
  });
});
