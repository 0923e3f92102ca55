// End to end, mid-turn delivery: the real runner CLI drives the real Codex CLI against the fake model, whose turn is
// held open in a shell call. An urgent relay message goes into that turn; a normal one waits for the next.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { holdingShell, type RecordedRequest, text } from "../support/fake-responses-api.ts";
import { waitFor } from "../support/wait-for.ts";
import { codexE2eRig } from "./codex-rig.ts";

setDefaultTimeout(60_000);

const rig = codexE2eRig();
let files: string;
beforeAll(() => {
  files = mkdtempSync(join(tmpdir(), "codex-urgent-"));
});
afterAll(() => rmSync(files, { recursive: true, force: true }));

const startAgent = async () => (await rig.start("codex-urgent")).agent;
const send = (agent: Parameters<typeof rig.send>[0], body: string, extra: Record<string, unknown> = {}) =>
  rig.send(agent, body, extra);

/** The recipient's receipt now. */
const receipt = (id: number) => rig.receipt(id);

/** The recipient's receipt once it is `seen`. */
const seen = (id: number) =>
  waitFor(
    async () => {
      const r = await rig.receipt(id);
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
    rig.fake.script("E2E-HOLD", [holdingShell(hold, "E2E-HOLD"), text("E2E-HOLD finished")]);
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
    expect(rig.fake.requestsFor("E2E-URGENT")).toEqual([]);
    await Bun.write(hold.release, "go");

    expect(await seen(urgent.id)).toMatchObject({ state: "seen", midTurn: true });
    expect(await seen(normal.id)).toMatchObject({ state: "seen", midTurn: false });
    expect((await seen(held.id)).midTurn).toBe(false);
    const [steered, ...again] = rig.fake.requestsFor("E2E-URGENT");
    expect(again, "the urgent message went to the model once").toEqual([]);
    // Same turn: the request carries the held turn's tool output and not its final answer.
    expect(inputOf(steered)).toContain("released E2E-HOLD");
    expect(inputOf(steered)).not.toContain("E2E-HOLD finished");
    const [next] = await waitFor(
      () => rig.fake.requestsFor("E2E-NORMAL").length > 0 && rig.fake.requestsFor("E2E-NORMAL"),
    );
    expect(inputOf(next), "the next turn: the steered turn's answer is history").toContain("E2E-URGENT");
    expect(userMessages(next, "E2E-URGENT")).toBe(1);
    expect(userMessages(next, "E2E-NORMAL")).toBe(1);

    const meta = (await rig.agentRecord(agent)).meta;
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
    rig.fake.script("TASK-HOLD", [holdingShell(hold, "TASK-HOLD"), text("TASK-HOLD finished")]);
    const create = (title: string) => rig.relay.call(rig.relay.rootToken, "POST", "/v1/tasks", { title });
    const [a, b] = [(await create("A")).body.id as number, (await create("B")).body.id as number];
    await send(agent, "TASK-HOLD work on A", { payload: { taskId: a } });
    await waitFor(() => Bun.file(hold.running).exists(), { timeoutMs: 20_000, what: "the held tool call" });
    const other = await send(agent, "TASK-B-URGENT about B", { urgent: true, payload: { taskId: b } });
    await Bun.write(hold.release, "go");
    expect(await seen(other.id)).toMatchObject({ midTurn: false });
    const [request] = rig.fake.requestsFor("TASK-B-URGENT");
    expect(inputOf(request), "after task A's turn ended").toContain("TASK-HOLD finished");
  });
});
