// Task outcomes with the real Codex CLI (app-server, against the scripted fake Responses API) and a real relay:
// a 429 fails the task at once with the reason; a time limit interrupts the turn (`turn/interrupt`) and fails it.
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { http429, text } from "../support/fake-responses-api.ts";
import { assignTask, waitForTaskEnd as ended } from "../support/tasks.ts";
import { waitFor } from "../support/wait-for.ts";
import { codexE2eRig } from "./codex-rig.ts";

setDefaultTimeout(90_000);

const rig = codexE2eRig();
let boss: string;
beforeAll(async () => {
  boss = await rig.relay.mintToken("codex-boss");
});

const run = async () => (await rig.start("codex-outcome")).agent;

describe("task outcomes with Codex", () => {
  test("a task's usage is what the thread's token totals grew by during it", async () => {
    const agent = await run();
    // A first turn, so the thread has reported its totals once before the task starts.
    rig.fake.script("WARM-UP-CODEX", [text("warm", { inputTokens: 300 })]);
    const warm = await assignTask(rig.relay, boss, { assignee: agent.agentId, body: "WARM-UP-CODEX" });
    expect((await ended(rig.relay, warm)).outcome.status).toBe("complete");
    rig.fake.script("USAGE-CODEX", [text("done", { inputTokens: 500 })]);
    const id = await assignTask(rig.relay, boss, { assignee: agent.agentId, body: "USAGE-CODEX task" });
    const t = await ended(rig.relay, id);
    expect(t.outcome.status).toBe("complete");
    // The fake answers with the scripted input tokens and 20 output tokens.
    expect(t.outcome.usage).toEqual({ inputTokens: 500, outputTokens: 20 });
  });

  test("a turn that hits a 429 fails its task at once, with Codex's reason", async () => {
    const agent = await run();
    rig.fake.script("RATE-LIMITED-CODEX", [http429()]);
    const id = await assignTask(rig.relay, boss, {
      assignee: agent.agentId,
      body: "RATE-LIMITED-CODEX task",
    });
    const t = await ended(rig.relay, id);
    expect(t.status).toBe("failed");
    expect(t.outcome.status).toBe("failed");
    expect(String(t.outcome.reason).toLowerCase()).toMatch(/rate limit|429|too many/);
    expect(t.outcome.durationMs).toBeLessThan(15_000);
  });

  test("a task past its time limit is interrupted (turn/interrupt) and fails `time limit`; Codex is idle again", async () => {
    const agent = await run();
    // The model never finishes this answer on its own: only the interrupt ends the turn.
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    rig.fake.script("SLOW-CODEX", [text("never finished", { gate })]);
    try {
      const id = await assignTask(rig.relay, boss, {
        assignee: agent.agentId,
        body: "SLOW-CODEX task",
        timeLimitSeconds: 3,
      });
      const t = await ended(rig.relay, id);
      expect(t.outcome).toMatchObject({ status: "failed", reason: "time limit" });
      expect(t.outcome.durationMs).toBeGreaterThanOrEqual(3_000);
      await waitFor(async () => (await rig.agentRecord(agent)).semanticStatus === "idle", {
        timeoutMs: 20_000,
        what: "Codex to be idle after the interrupt",
      });
    } finally {
      release();
    }
  });
});
