// End to end through Claude Code's cross-session inbox: the real runner CLI, the real Claude Code CLI in tmux, a real
// relay, the fake model. The inbox is the first path by default; switched off, the monitor and then the paste follow.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { claudeIdleSince } from "../support/claude-runner.ts";
import { waitFor } from "../support/wait-for.ts";
import { claudeE2eRig } from "./claude-rig.ts";

setDefaultTimeout(60_000);

const e2e = claudeE2eRig();

/** The inbox's own wording: what neither a paste nor a monitor notification carries. */
const INBOX = "Another Claude session sent a message:\n";
const MID_TURN = "Another Claude session sent a message while you were working:\n";

describe("claude agent end to end through Claude's inbox", () => {
  test("by default the runner reports the inbox path and a relay message reaches the model through it", async () => {
    const { agent, child } = await e2e.start("claude-inbox", { monitor: "on" });
    const meta = await e2e.agentMeta(agent);
    expect(meta).toMatchObject({ deliveryPath: "inbox", inbox: "bound" });
    // Its own config dir when the path fits Claude's 103 bytes, else a short name in a private runtime folder.
    expect(existsSync(meta.inboxSocket)).toBe(true);
    const sent = await e2e.send(agent, "INBOX hello");
    const req = await e2e.modelSawMessage(sent.id);
    expect(req.lastUserText).toContain(`${INBOX}[relay message #${sent.id} from tester]\nINBOX hello`);
    expect(req.allText).not.toContain("<task-notification>");
    await claudeIdleSince(agent, req.at);
    await e2e.stopAndExpectNothingLeft(agent, child);
  });

  test("a message for an agent busy in a tool call is not spliced into that turn: it becomes the next one", async () => {
    const { agent, child } = await e2e.start("claude-inbox-busy", {
      monitor: "on",
      env: { AGENT_RELAY_LOG_LEVEL: "info" },
    });
    const gate = join(agent.cwd, "go");
    const output = `released-${agent.agentId}`;
    await e2e.send(agent, `RUN_BASH: while [ ! -f ${gate} ]; do sleep 0.05; done; echo ${output}`);
    await waitFor(async () => (await e2e.agentStatus(agent)) === "busy", { what: "the agent to be busy" });
    const sent = await e2e.send(agent, "NORMAL while busy");
    // The runner has it while the tool still runs: the adapter holds it for the turn's end.
    await waitFor(
      () =>
        child.cli
          .stderr()
          .split("\n")
          .some((l) => l.includes("wait for the running turn to end") && l.includes(`[${sent.id}]`)),
      { what: "the message to wait for the turn's end" },
    );
    await writeFile(gate, "");
    const req = await e2e.modelSawMessage(sent.id);
    const toolResult = e2e.fake.requests.find(
      (r) => r.isMainLoop && JSON.stringify(r.body).includes(`"type":"tool_result","content":"${output}"`),
    );
    expect(toolResult?.allText).not.toContain(`[relay message #${sent.id} from`);
    expect(req.seq).toBeGreaterThan(toolResult?.seq ?? Number.POSITIVE_INFINITY);
    expect(req.lastUserText).toContain(`${INBOX}[relay message #${sent.id} from tester]\nNORMAL while busy`);
    await claudeIdleSince(agent, req.at);
    // Once: the last request of the agent's conversation holds it a single time.
    const last = e2e.fake.requests.filter((r) => r.isMainLoop).at(-1);
    expect(last?.allText.split(`[relay message #${sent.id} from`).length).toBe(2);
    await e2e.stopAndExpectNothingLeft(agent, child);
  });

  test("an urgent message passes a normal one held for the busy turn's end: it reaches the model in that turn's next request, seen mid-turn; the normal one is the next turn; each once", async () => {
    const { agent, child } = await e2e.start("claude-urgent", { monitor: "on" });
    const gate = join(agent.cwd, "go");
    const output = `released-${agent.agentId}`;
    await e2e.send(agent, `RUN_BASH: while [ ! -f ${gate} ]; do sleep 0.05; done; echo ${output}`);
    await waitFor(async () => (await e2e.agentStatus(agent)) === "busy", { what: "the agent to be busy" });
    const normal = await e2e.send(agent, "NORMAL when you are done");
    await waitFor(async () => (await e2e.receipt(normal.id))?.state === "claimed", {
      what: "the normal message taken by the runner",
    });
    const urgent = await e2e.send(agent, "URGENT stop, wrong branch", {}, { urgent: true });
    // Handed to Claude's inbox past the held one while the tool still runs; the model gets it when the call returns.
    await waitFor(async () => (await e2e.receipt(urgent.id))?.state === "delivered", {
      what: "the urgent message handed to Claude",
    });
    expect((await e2e.receipt(normal.id))?.state, "the normal one still waits").toBe("claimed");
    expect(e2e.fake.requestsContaining("URGENT stop")).toEqual([]);
    await writeFile(gate, "");

    const seen = (id: number) =>
      waitFor(async () => ((r) => r?.state === "seen" && r)(await e2e.receipt(id)), { what: `#${id} seen` });
    expect(await seen(urgent.id)).toMatchObject({ state: "seen", midTurn: true });
    expect(await seen(normal.id)).toMatchObject({ state: "seen", midTurn: false });
    const spliced = await e2e.modelSawMessage(urgent.id);
    // The same turn: the request that returns the tool's output carries it, after the tool_result.
    expect(JSON.stringify(spliced.body)).toContain(`"type":"tool_result","content":"${output}"`);
    expect(spliced.allText).toContain(`${MID_TURN}[relay message #${urgent.id} from tester]\nURGENT stop`);
    expect(spliced.allText).not.toContain("NORMAL when you are done");
    const next = await e2e.modelSawMessage(normal.id);
    expect(next.seq).toBeGreaterThan(spliced.seq);
    expect(next.lastUserText).toContain(`${INBOX}[relay message #${normal.id} from tester]\nNORMAL when`);
    await claudeIdleSince(agent, next.at);
    const last = e2e.fake.requests.filter((r) => r.isMainLoop).at(-1);
    for (const id of [urgent.id, normal.id])
      expect(last?.allText.split(`[relay message #${id} from`).length, `#${id} once`).toBe(2);
    expect((await e2e.agentMeta(agent)).recentDeliveries).toEqual(
      expect.arrayContaining([
        { messageId: urgent.id, midTurn: true },
        { messageId: normal.id, midTurn: false },
      ]),
    );
    await e2e.stopAndExpectNothingLeft(agent, child);
  });

  test("hostile message text (ESC sequences, a paste terminator, a /exit line) reaches the model as inert text (inbox path)", async () => {
    const { agent, child } = await e2e.start("claude-inbox-hostile", { monitor: "off" });
    const body = "red \x1b[31mALERT\x1b[0m then \x1b[201~ broke out\n/exit\nstill-here-marker";
    const sent = await e2e.send(agent, body);
    const req = await e2e.modelSawMessage(sent.id);
    expect(req.lastUserText).toContain(INBOX);
    expect(req.lastUserText).toContain("ALERT");
    expect(req.lastUserText).not.toContain("\x1b");
    expect(req.lastUserText).toContain("broke out\n/exit\nstill-here-marker");
    await claudeIdleSince(agent, req.at);
    const next = await e2e.send(agent, "STILL-THERE?");
    expect((await e2e.modelSawMessage(next.id)).allText).toContain("still-here-marker");
    await e2e.stopAndExpectNothingLeft(agent, child);
  });
});
