// End to end: after the real Claude Code or the real Codex compacts (agent.compact), the runner's note — the task the
// agent holds, how to report it, the relay instructions — reaches the model exactly once, as context and not as a
// turn: Claude through its SessionStart(source=compact) hook's additionalContext, Codex through thread/inject_items.
// Real runner CLI, real relay, real tmux (Claude), scripted fake model servers.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { NOTE_HEADER } from "../../src/runner/compaction-note.ts";
import {
  claudeIdleSince,
  createClaudeAgentHome,
  reapClaudeLeftovers,
  startClaudeRunner,
} from "../support/claude-runner.ts";
import { createCodexAgentHome, reapCodexLeftovers, startCodexRunner } from "../support/codex-runner.ts";
import { FakeAnthropicApi, type RecordedRequest } from "../support/fake-anthropic-api.ts";
import { type FakeResponsesApi, startFakeResponsesApi, text } from "../support/fake-responses-api.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { commandToEnd, createTask, semanticStatusOf, sendFromTester } from "../support/relay-calls.ts";
import { waitFor } from "../support/wait-for.ts";

setDefaultTimeout(90_000);

let relay: TestRelay;
let claudeFake: FakeAnthropicApi;
let codexFake: FakeResponsesApi;
beforeAll(async () => {
  relay = await startTestRelay();
  claudeFake = new FakeAnthropicApi().start();
  codexFake = await startFakeResponsesApi();
});
afterAll(async () => {
  await claudeFake?.stop();
  await codexFake?.stop();
  await relay?.close();
});

/** Whatever a test did, nothing it started (runner, provider, tmux server) outlives it. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0)) await f().catch(() => {});
});

const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

/** A person ends the task (root may, with an outcome), as the agent's `task done` would. */
async function reportDone(taskId: number, agentId: string): Promise<void> {
  const r = await relay.call(relay.rootToken, "POST", `/v1/tasks/${taskId}/status`, {
    status: "done",
    agentId,
    outcome: { status: "complete", summary: "ported", durationMs: 1 },
  });
  if (r.status !== 200) throw new Error(`task done: ${r.status} ${JSON.stringify(r.body)}`);
}
const TITLE = "port the parser to zig";

describe("claude: the compaction note (real Claude Code, fake model)", () => {
  const modelSaw = (id: number) =>
    waitFor(() => claudeFake.requestsContaining(`[relay message #${id} from tester]`)[0], {
      timeoutMs: 20_000,
      what: `the model to see relay message #${id}`,
    });

  test("after /compact the next model request carries the task note exactly once; a second compaction without a task names none", async () => {
    const agent = createClaudeAgentHome("claude-compact");
    const token = await relay.mintToken(agent.agentId);
    // Explicit completion: the task stays the agent's after its turn, until it is reported.
    const child = await startClaudeRunner({
      relay,
      fake: claudeFake,
      agent,
      token,
      monitor: "off",
      extraArgs: ["--task-completion", "explicit"],
    });
    cleanups.push(async () => {
      await child.kill();
      await reapClaudeLeftovers(agent);
      agent.remove();
    });
    const send = (body: string, payload?: Record<string, unknown>) =>
      sendFromTester(relay, agent.agentId, body, payload);

    // Some conversation first, so /compact has something to compact.
    const warm = await send("WARM-UP remember the colour teal");
    await claudeIdleSince(agent, (await modelSaw(warm.id)).at);

    // A task in progress, its turn over but the task not reported yet.
    const taskId = await createTask(relay, TITLE);
    claudeFake.script({ match: "TASK-START", reply: () => ({ kind: "text", text: "working on it" }) });
    const work = await send("TASK-START port it", { taskId });
    await claudeIdleSince(agent, (await modelSaw(work.id)).at);
    const beforeCompact = claudeFake.requests.length;

    expect((await commandToEnd(relay, agent.agentId, "agent.compact")).status).toBe("succeeded");
    // The note is context, not a turn: compaction's own requests never carry it.
    const compactRequests = claudeFake.requests.slice(beforeCompact);
    expect(compactRequests.some((r) => r.allText.includes(NOTE_HEADER))).toBe(false);

    const after = await send("AFTER-COMPACT what are you doing?");
    const next = await modelSaw(after.id);
    expect(count(next.allText, NOTE_HEADER)).toBe(1);
    expect(count(next.allText, `Your current task: #${taskId} "${TITLE}"`)).toBe(1);
    expect(next.allText).toContain(`task done|partial|fail ${taskId} --summary`);
    expect(next.allText).toContain("[relay message #<id> from <sender>]");
    // Between the compaction and this message, Claude asked the model nothing with the note in it (no turn of its own).
    const between = claudeFake.requests.filter(
      (r: RecordedRequest) => r.seq < next.seq && r.seq > beforeCompact,
    );
    expect(between.filter((r) => r.isMainLoop && r.allText.includes(NOTE_HEADER))).toEqual([]);
    await claudeIdleSince(agent, next.at);

    // The task is reported done (as the agent's `task done` would); the runner lets go of it when the next turn
    // ends. The next compaction's note then says there is no task, once.
    await reportDone(taskId, agent.agentId);
    const ping = await send("PING are you there?");
    await claudeIdleSince(agent, (await modelSaw(ping.id)).at);
    await waitFor(
      async () => {
        const meta = (await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}`)).body.meta;
        return !JSON.stringify(meta?.busyReasons ?? []).includes("task");
      },
      { what: "the runner to let go of the reported task" },
    );
    expect((await commandToEnd(relay, agent.agentId, "agent.compact")).status).toBe("succeeded");
    const later = await send("AFTER-SECOND-COMPACT hello");
    const second = await modelSaw(later.id);
    expect(count(second.allText, NOTE_HEADER)).toBe(1);
    expect(second.allText).toContain("You have no relay task in progress.");
    expect(second.allText).not.toContain(`Your current task: #${taskId}`);
    expect(await child.terminate()).toBe(0);
  });
});

describe("codex: the compaction note (real Codex app-server, fake model)", () => {
  const modelSaw = (needle: string) =>
    waitFor(() => codexFake.requestsFor(needle)[0], {
      timeoutMs: 20_000,
      what: `the model to see "${needle}"`,
    });

  test("after agent.compact the next model request carries the task note exactly once, as a developer message", async () => {
    const agent = createCodexAgentHome("codex-compact");
    const token = await relay.mintToken(agent.agentId);
    const child = await startCodexRunner({
      relay,
      fake: codexFake,
      agent,
      token,
      extraArgs: ["--task-completion", "explicit"],
    });
    cleanups.push(async () => {
      await child.kill();
      await reapCodexLeftovers(agent);
      agent.remove();
    });
    const send = (body: string, payload?: Record<string, unknown>) =>
      sendFromTester(relay, agent.agentId, body, payload);
    const status = () => semanticStatusOf(relay, agent.agentId);

    // Some conversation first, so the compaction has something to summarise.
    codexFake.script("WARM-UP", [text("noted: teal")]);
    await send("WARM-UP remember the colour teal");
    await modelSaw("WARM-UP");
    await waitFor(async () => (await status()) === "idle", { what: "the agent to be idle" });

    // A task in progress, its turn over but the task not reported yet.
    const taskId = await createTask(relay, TITLE);
    codexFake.script("TASK-START", [text("working on it")]);
    await send("TASK-START port it", { taskId });
    await modelSaw("TASK-START");
    // Busy only because it holds the task: the turn is over.
    await waitFor(
      async () => {
        const meta = (await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}`)).body.meta;
        return JSON.stringify(meta?.busyReasons) === '["task"]';
      },
      { what: "the task's turn to end" },
    );
    expect((await relay.call(relay.rootToken, "GET", `/v1/tasks/${taskId}`)).body.status).toBe("in_progress");

    const before = codexFake.requests.length;
    expect((await commandToEnd(relay, agent.agentId, "agent.compact")).status).toBe("succeeded");
    const compaction = codexFake.requests.slice(before);
    expect(compaction.some((r) => r.requestKind === "compaction")).toBe(true);
    // The note is context, not a turn: nothing but the compaction asked the model anything.
    expect(compaction.filter((r) => r.requestKind !== "compaction")).toEqual([]);

    await send("AFTER-COMPACT what are you doing?");
    const next = await modelSaw("AFTER-COMPACT");
    expect(count(JSON.stringify(next.body.input ?? []), NOTE_HEADER)).toBe(1);
    expect(next.developerText).toContain(NOTE_HEADER);
    expect(next.developerText).toContain(`Your current task: #${taskId} "${TITLE}"`);
    expect(next.developerText).toContain(`task done|partial|fail ${taskId} --summary`);
    expect(next.developerText).toContain("[relay message #<id> from <sender>]");
    expect(await child.terminate()).toBe(0);
  });
});
