import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

let t: TestRelay;

beforeAll(async () => {
  t = await startTestRelay();
});
afterAll(() => t.close());

const createCommand = (body: Record<string, unknown>, as = t.rootToken) =>
  t.call(as, "POST", "/v1/commands", body);

describe("commands", () => {
  test("a command is stored pending and pushed to its target agent's sessions only", async () => {
    const target = await t.openBus({ agentId: "cmd-a" });
    const bystander = await t.openBus({ agentId: "cmd-b" });
    const r = await createCommand({ target: "cmd-a", type: "agent.restart", params: { reason: "test" } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      target: "cmd-a",
      type: "agent.restart",
      status: "pending",
      params: { reason: "test" },
    });
    const frame = await target.waitForFrame((f) => f.type === "command");
    expect(frame.command).toEqual(r.body);
    expect((await t.call(t.rootToken, "GET", `/v1/commands/${r.body.id}`)).body).toEqual(r.body);
    // The bystander got nothing: a later command to it arrives first.
    await createCommand({ target: "cmd-b", type: "agent.compact" });
    const first = await bystander.waitForFrame((f) => f.type === "command");
    expect((first.command as { type: string }).type).toBe("agent.compact");
  });

  test("a command to a runnerId reaches the session with that componentId, and that agent may update it", async () => {
    const bus = await t.openBus({ agentId: "cmd-c", componentId: "runner-c" });
    const r = await createCommand({ target: "runner-c", type: "agent.reconnect" });
    await bus.waitForFrame((f) => f.type === "command" && (f.command as { id: string }).id === r.body.id);
    const token = await t.mintToken("cmd-c");
    const upd = await t.call(token, "POST", `/v1/commands/${r.body.id}/status`, { status: "accepted" });
    expect(upd.status).toBe(200);
    expect(upd.body.status).toBe("accepted");
  });

  test("commands created while a registered agent is away stay pending and are pushed after its next welcome", async () => {
    await (await t.openBus({ agentId: "cmd-later" })).close();
    const r = await createCommand({ target: "cmd-later", type: "agent.shutdown" });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("pending");
    const bus = await t.openBus({ agentId: "cmd-later" });
    expect(bus.frames[0]?.type).toBe("welcome");
    const frame = await bus.waitForFrame((f) => f.type === "command");
    expect((frame.command as { id: string }).id).toBe(r.body.id);
  });

  test("a target that no registered agent or runner answers to is refused at once with 404, and nothing is stored", async () => {
    const r = await createCommand({ target: "cmd-nosuch", type: "agent.restart" });
    expect(r.status).toBe(404);
    expect(r.body.error).toEqual({
      code: "not_found",
      message: "no registered agent or runner answers to 'cmd-nosuch'",
    });
    // A later agent of that name gets no command created before it existed.
    const bus = await t.openBus({ agentId: "cmd-nosuch" });
    await createCommand({ target: "cmd-nosuch", type: "agent.compact" });
    const first = await bus.waitForFrame((f) => f.type === "command");
    expect((first.command as { type: string }).type).toBe("agent.compact");
  });

  test("status moves forward to a terminal state; same status is idempotent; terminal and backward moves are 409", async () => {
    await (await t.openBus({ agentId: "cmd-d" })).close();
    const token = await t.mintToken("cmd-d");
    const { body: cmd } = await createCommand({ target: "cmd-d", type: "agent.compact" }, token);
    const set = (status: string, extra: Record<string, unknown> = {}) =>
      t.call(token, "POST", `/v1/commands/${cmd.id}/status`, { status, ...extra });
    expect((await set("accepted")).body.status).toBe("accepted");
    expect((await set("running")).body.status).toBe("running");
    expect((await set("running")).status).toBe(200);
    expect((await set("accepted")).status).toBe(409);
    const done = await set("succeeded", { result: { compacted: true } });
    expect(done.body).toMatchObject({ status: "succeeded", result: { compacted: true } });
    expect((await set("succeeded")).status).toBe(200);
    const after = await set("failed", { error: "late" });
    expect(after.status).toBe(409);
    expect(after.body.error.code).toBe("conflict");
  });

  test("a runtime token commands only its own agent or runner, and updates only its own commands", async () => {
    const token = await t.mintToken("cmd-e");
    expect((await createCommand({ target: "cmd-a", type: "agent.kill" }, token)).status).toBe(403);
    const { body: foreign } = await createCommand({ target: "cmd-a", type: "agent.kill" });
    expect(
      (await t.call(token, "POST", `/v1/commands/${foreign.id}/status`, { status: "accepted" })).status,
    ).toBe(403);
    // Reading is for the target agent and root only.
    expect((await t.call(token, "GET", `/v1/commands/${foreign.id}`)).status).toBe(403);
  });

  test("bad input is 400, an unknown command 404, no token 401", async () => {
    expect((await createCommand({ type: "agent.kill" })).status).toBe(400);
    expect((await t.call(t.rootToken, "GET", "/v1/commands/nope")).status).toBe(404);
    expect(
      (await t.call(t.rootToken, "POST", "/v1/commands/nope/status", { status: "accepted" })).status,
    ).toBe(404);
    const { body: cmd } = await createCommand({ target: "x", type: "agent.kill" });
    expect(
      (await t.call(t.rootToken, "POST", `/v1/commands/${cmd.id}/status`, { status: "done" })).status,
    ).toBe(400);
    expect((await t.call(undefined, "GET", `/v1/commands/${cmd.id}`)).status).toBe(401);
  });
});
