// End to end, mid-turn delivery: the real runner CLI drives the real Codex CLI against the fake model, whose turn is
// held open in a shell call. An urgent relay message goes into that turn; a normal one waits for the next.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CodexAgentHome,
  type CodexRunnerChild,
  createCodexAgentHome,
  reapCodexLeftovers,
  startCodexRunner,
} from "../support/codex-runner.ts";
import {
  type FakeResponsesApi,
  holdingShell,
  type RecordedRequest,
  startFakeResponsesApi,
  text,
} from "../support/fake-responses-api.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";

setDefaultTimeout(60_000);

let relay: TestRelay;
let fake: FakeResponsesApi;
let files: string;
beforeAll(async () => {
  relay = await startTestRelay();
  fake = await startFakeResponsesApi();
  files = mkdtempSync(join(tmpdir(), "codex-urgent-"));
});
afterAll(async () => {
  await fake?.stop();
  await relay?.close();
  rmSync(files, { recursive: true, force: true });
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0)) await f().catch(() => {});
});

async function startAgent(): Promise<CodexAgentHome> {
  const agent = createCodexAgentHome("codex-urgent");
  const child: CodexRunnerChild = await startCodexRunner({
    relay,
    fake,
    agent,
    token: await relay.mintToken(agent.agentId),
  });
  cleanups.push(async () => {
    await child.kill();
    await reapCodexLeftovers(agent);
    agent.remove();
  });
  return agent;
}

async function send(agent: CodexAgentHome, body: string, extra: Record<string, unknown> = {}) {
  const res = await relay.call(relay.rootToken, "POST", "/v1/messages", {
    to: agent.agentId,
    from: "tester",
    body,
    ...extra,
  });
  expect(res.status).toBe(200);
  return res.body as { id: number };
}

/** The recipient's receipt now. */
const receipt = async (id: number) =>
  (await relay.call(relay.rootToken, "GET", `/v1/messages/${id}`)).body.receipts?.[0] as
    | { state: string; midTurn?: boolean }
    | undefined;

/** The recipient's receipt once it is `seen`. */
const seen = (id: number) =>
  waitFor(
    async () => {
      const m = (await relay.call(relay.rootToken, "GET", `/v1/messages/${id}`)).body;
      const r = (m.receipts ?? [])[0] as { state: string; midTurn?: boolean } | undefined;
      return r?.state === "seen" && r;
    },
    { timeoutMs: 20_000, what: `message ${id} to be seen` },
  );

const inputOf = (r: RecordedRequest | undefined) => JSON.stringify(r?.body.input ?? []);
const userMessages = (r: RecordedRequest | undefined, needle: string) =>
  (r?.body.input ?? []).filter(
    (i) => i.type === "message" && i.role === "user" && JSON.stringify(i.content).includes(needle),
  ).length;

describe("codex mid-turn delivery end to end", () => {
  test("an urgent message passes a waiting normal one into the running turn's next request and is seen mid-turn; the normal one is the next turn", async () => {
    const agent = await startAgent();
    const hold = { running: join(files, "e2e.running"), release: join(files, "e2e.release") };
    fake.script("E2E-HOLD", [holdingShell(hold, "E2E-HOLD"), text("E2E-HOLD finished")]);
    const held = await send(agent, "E2E-HOLD a long job");
    await waitFor(() => Bun.file(hold.running).exists(), { timeoutMs: 20_000, what: "the held tool call" });

    // A normal message first: the runner hands it to Codex, which holds it until the turn ends.
    const normal = await send(agent, "E2E-NORMAL when you are done");
    await waitFor(async () => (await receipt(normal.id))?.state === "claimed", {
      timeoutMs: 20_000,
      what: "the normal message taken by the runner",
    });
    const urgent = await send(agent, "E2E-URGENT stop, wrong branch", { urgent: true });
    // Steered past it while the turn still runs: Codex took it (delivered) before the tool call ended.
    await waitFor(async () => (await receipt(urgent.id))?.state === "delivered", {
      timeoutMs: 20_000,
      what: "the urgent message delivered into the turn",
    });
    expect((await receipt(normal.id))?.state, "the normal one still waits").toBe("claimed");
    expect(fake.requestsFor("E2E-URGENT")).toEqual([]);
    await Bun.write(hold.release, "go");

    expect(await seen(urgent.id)).toMatchObject({ state: "seen", midTurn: true });
    expect(await seen(normal.id)).toMatchObject({ state: "seen", midTurn: false });
    expect((await seen(held.id)).midTurn).toBe(false);
    const [steered, ...again] = fake.requestsFor("E2E-URGENT");
    expect(again, "the urgent message went to the model once").toEqual([]);
    // Same turn: the request carries the held turn's tool output and not its final answer.
    expect(inputOf(steered)).toContain("released E2E-HOLD");
    expect(inputOf(steered)).not.toContain("E2E-HOLD finished");
    const [next] = await waitFor(
      () => fake.requestsFor("E2E-NORMAL").length > 0 && fake.requestsFor("E2E-NORMAL"),
    );
    expect(inputOf(next), "the next turn: the steered turn's answer is history").toContain("E2E-URGENT");
    expect(userMessages(next, "E2E-URGENT")).toBe(1);
    expect(userMessages(next, "E2E-NORMAL")).toBe(1);

    const meta = (await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}`)).body.meta;
    expect(meta.recentDeliveries).toEqual(
      expect.arrayContaining([
        { messageId: urgent.id, midTurn: true },
        { messageId: normal.id, midTurn: false },
      ]),
    );
  });

  test("an urgent message linked to another task than the running one waits for the turn to end", async () => {
    const agent = await startAgent();
    const hold = { running: join(files, "task.running"), release: join(files, "task.release") };
    fake.script("TASK-HOLD", [holdingShell(hold, "TASK-HOLD"), text("TASK-HOLD finished")]);
    const create = (title: string) => relay.call(relay.rootToken, "POST", "/v1/tasks", { title });
    const [a, b] = [(await create("A")).body.id as number, (await create("B")).body.id as number];
    await send(agent, "TASK-HOLD work on A", { payload: { taskId: a } });
    await waitFor(() => Bun.file(hold.running).exists(), { timeoutMs: 20_000, what: "the held tool call" });
    const other = await send(agent, "TASK-B-URGENT about B", { urgent: true, payload: { taskId: b } });
    await Bun.write(hold.release, "go");
    expect(await seen(other.id)).toMatchObject({ midTurn: false });
    const [request] = fake.requestsFor("TASK-B-URGENT");
    expect(inputOf(request), "after task A's turn ended").toContain("TASK-HOLD finished");
  });
});
