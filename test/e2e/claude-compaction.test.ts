// End to end: after the real Claude Code compacts (agent.compact → /compact), the runner's note — the task the agent
// holds, how to report it, the relay instructions — reaches the model exactly once, as context (SessionStart's
// additionalContext), not as a turn. Real runner CLI, real tmux, real relay, scripted fake Anthropic API.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { NOTE_HEADER } from "../../src/runner/compaction-note.ts";
import {
  type ClaudeAgentHome,
  type ClaudeRunnerChild,
  claudeIdleSince,
  createClaudeAgentHome,
  reapClaudeLeftovers,
  startClaudeRunner,
} from "../support/claude-runner.ts";
import { FakeAnthropicApi, type RecordedRequest } from "../support/fake-anthropic-api.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";

setDefaultTimeout(90_000);

let relay: TestRelay;
let fake: FakeAnthropicApi;
beforeAll(async () => {
  relay = await startTestRelay();
  fake = new FakeAnthropicApi().start();
});
afterAll(async () => {
  await fake?.stop();
  await relay?.close();
});

const agents: ClaudeAgentHome[] = [];
const children: ClaudeRunnerChild[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await c.kill();
  for (const a of agents.splice(0)) {
    await reapClaudeLeftovers(a);
    a.remove();
  }
});

async function send(agent: ClaudeAgentHome, body: string, payload: Record<string, unknown> = {}) {
  const res = await relay.call(relay.rootToken, "POST", "/v1/messages", {
    to: agent.agentId,
    from: "tester",
    body,
    payload,
  });
  expect(res.status).toBe(200);
  return res.body as { id: number };
}

async function command(agent: ClaudeAgentHome, type: string) {
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
    { timeoutMs: 60_000, what: `${type} to finish` },
  );
}

const modelSaw = (id: number) =>
  waitFor(() => fake.requestsContaining(`[relay message #${id} from tester]`)[0], {
    timeoutMs: 20_000,
    what: `the model to see relay message #${id}`,
  });

const count = (req: RecordedRequest, text: string) => req.allText.split(text).length - 1;

describe("claude: the compaction note (real Claude Code, fake model)", () => {
  test("after /compact the next model request carries the task note exactly once; a second compaction without a task names none", async () => {
    const agent = createClaudeAgentHome("claude-compact");
    agents.push(agent);
    const token = await relay.mintToken(agent.agentId);
    const child = await startClaudeRunner({ relay, fake, agent, token, monitor: "off" });
    children.push(child);

    // Some conversation first, so /compact has something to compact.
    const warm = await send(agent, "WARM-UP remember the colour teal");
    await claudeIdleSince(agent, (await modelSaw(warm.id)).at);

    // A task whose turn failed stays the agent's (the runner holds it until it is reported or a turn ends well).
    const task = await relay.call(relay.rootToken, "POST", "/v1/tasks", { title: "port the parser to zig" });
    expect(task.status).toBe(200);
    const taskId = task.body.id as number;
    // The task's turn fails (Claude retries, then gives up: StopFailure). Claude folds the unanswered prompt into
    // the compaction request, so the failure is switched off before compacting.
    let failing = true;
    fake.script({
      match: "TASK-START",
      reply: () => (failing ? { kind: "error", status: 400 } : { kind: "text", text: "summary" }),
    });
    const work = await send(agent, "TASK-START port it", { taskId });
    await claudeIdleSince(agent, (await modelSaw(work.id)).at);
    failing = false;
    const beforeCompact = fake.requests.length;

    expect((await command(agent, "agent.compact")).status).toBe("succeeded");
    // The note is context, not a turn: compaction's own requests never carry it, and none follow on their own.
    const compactRequests = fake.requests.slice(beforeCompact);
    expect(compactRequests.some((r) => r.allText.includes(NOTE_HEADER))).toBe(false);

    const after = await send(agent, "AFTER-COMPACT what are you doing?");
    const next = await modelSaw(after.id);
    expect(count(next, NOTE_HEADER)).toBe(1);
    expect(count(next, `Your current task: #${taskId} "port the parser to zig"`)).toBe(1);
    expect(next.allText).toContain(`task done|partial|fail ${taskId} --summary`);
    expect(next.allText).toContain("[relay message #<id> from <sender>]");
    // Between the compaction and this message, Claude asked the model nothing with the note in it.
    const between = fake.requests.filter((r) => r.seq < next.seq && r.seq >= (compactRequests[0]?.seq ?? 0));
    expect(between.filter((r) => r.isMainLoop && r.allText.includes(NOTE_HEADER))).toEqual([]);
    await claudeIdleSince(agent, next.at);

    // That turn ended well: the task is done. The next compaction's note says there is no task, once.
    await waitFor(
      async () => (await relay.call(relay.rootToken, "GET", `/v1/tasks/${taskId}`)).body.status === "done",
      { timeoutMs: 20_000, what: "the task to be done" },
    );
    expect((await command(agent, "agent.compact")).status).toBe("succeeded");
    const later = await send(agent, "AFTER-SECOND-COMPACT hello");
    const second = await modelSaw(later.id);
    expect(count(second, NOTE_HEADER)).toBe(1);
    expect(second.allText).toContain("You have no relay task in progress.");
    expect(second.allText).not.toContain(`Your current task: #${taskId}`);
    expect(await child.terminate()).toBe(0);
  });
});
