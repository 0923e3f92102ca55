// The supervisor on the relay: a root-only bus component (role `supervisor`) that receives the commands sent to
// target `supervisor`, which any token may create; every command records who sent it (`from`).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BUS_CLOSE } from "../../src/protocol/index.ts";
import { startTestRelay, type TestBus, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";

let t: TestRelay;
beforeAll(async () => {
  t = await startTestRelay();
});
afterAll(() => t.close());

const createCommand = (body: Record<string, unknown>, as = t.rootToken) =>
  t.call(as, "POST", "/v1/commands", body);

const supervisor = (instance: string, token = t.rootToken) =>
  t.openBus({ agentId: "relay-supervisor", role: "supervisor", instanceId: instance, token });

const commandFrames = (bus: TestBus) =>
  bus.frames.filter((f) => f.type === "command").map((f) => (f.command as { id: string }).id);

describe("the supervisor's bus session", () => {
  test("a supervisor.* command with no supervisor connected is refused at once (409), nothing stored", async () => {
    const r = await createCommand({ target: "supervisor", type: "supervisor.spawn", params: { id: "x" } });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toContain("no supervisor is connected");
  });

  test("a runtime token saying hello as the supervisor is refused (4403); root is welcomed and not registered", async () => {
    const token = await t.mintToken("sup-impostor");
    const refused = await t.openBus({
      agentId: "sup-impostor",
      role: "supervisor",
      instanceId: "imp",
      token,
    });
    expect(refused.frames[0]).toMatchObject({ type: "error", code: "forbidden" });
    expect(await refused.closed).toBe(BUS_CLOSE.forbidden);

    const sup = await supervisor("sup-1");
    expect(sup.frames[0]?.type).toBe("welcome");
    const agents = (await t.call(t.rootToken, "GET", "/v1/agents")).body.agents as { id: string }[];
    expect(agents.map((a) => a.id)).not.toContain("relay-supervisor");
    // No status to store: told so, and the session stays.
    sup.send({ type: "status", agentStatus: "busy", semanticStatus: "busy", ready: true });
    const err = await sup.waitForFrame((f) => f.type === "error");
    expect(err.message).toBe("a supervisor session has no status");
    sup.send({ type: "heartbeat" });
    // It receives no messages, not even a broadcast.
    const agent = await t.openBus({ agentId: "sup-bystander" });
    const sent = await t.call(t.rootToken, "POST", "/v1/messages", { to: "broadcast", body: "all" });
    expect(sent.status).toBe(200);
    await agent.waitForFrame((f) => f.type === "message.new");

    // Root and any runtime token may send supervisor.* commands; each is pushed to the supervisor only, with `from`.
    const fromRoot = await createCommand({
      target: "supervisor",
      type: "supervisor.stop",
      params: { agentId: "a" },
    });
    expect(fromRoot.status).toBe(200);
    expect(fromRoot.body).toMatchObject({ target: "supervisor", from: "root", status: "pending" });
    const helper = await t.mintToken("sup-helper");
    const fromAgent = await createCommand(
      { target: "supervisor", type: "supervisor.spawn", params: { id: "h-1" } },
      helper,
    );
    expect(fromAgent.status).toBe(200);
    expect(fromAgent.body.from).toBe("sup-helper");
    await waitFor(() => commandFrames(sup).length === 2, { what: "both commands at the supervisor" });
    expect(commandFrames(sup)).toEqual([fromRoot.body.id, fromAgent.body.id]);
    expect(sup.frames.some((f) => f.type === "message.new")).toBe(false);
    expect(agent.frames.some((f) => f.type === "command")).toBe(false);

    // The sender reads its command; another agent may not; only root (the supervisor) updates it.
    const other = await t.mintToken("sup-other");
    expect((await t.call(helper, "GET", `/v1/commands/${fromAgent.body.id}`)).body.from).toBe("sup-helper");
    expect((await t.call(other, "GET", `/v1/commands/${fromAgent.body.id}`)).status).toBe(403);
    const path = `/v1/commands/${fromAgent.body.id}/status`;
    expect((await t.call(helper, "POST", path, { status: "succeeded" })).status).toBe(403);
    const failed = await t.call(t.rootToken, "POST", path, { status: "failed", error: "403 forbidden: no" });
    expect(failed.body).toMatchObject({ status: "failed", error: "403 forbidden: no", from: "sup-helper" });

    // A newer supervisor replaces the older (4409) and is handed the commands still pending.
    const next = await supervisor("sup-2");
    expect(await sup.closed).toBe(BUS_CLOSE.replaced);
    await waitFor(() => commandFrames(next).includes(fromRoot.body.id), {
      what: "the pending command re-sent",
    });
    expect(commandFrames(next)).not.toContain(fromAgent.body.id);
    await next.close();
    await waitFor(
      async () =>
        (await createCommand({ target: "supervisor", type: "supervisor.restart", params: {} })).status ===
        409,
      { what: "supervisor commands refused once it is gone" },
    );
  });

  test("supervisor.* types go only to target supervisor, and it takes only those (400)", async () => {
    const sup = await supervisor("sup-3");
    const toAgent = await createCommand({ target: "some-agent", type: "supervisor.spawn" });
    expect(toAgent.status).toBe(400);
    expect(toAgent.body.error.message).toBe(
      "supervisor.* commands go to target 'supervisor', not to an agent",
    );
    const wrongType = await createCommand({ target: "supervisor", type: "agent.kill" });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).toBe(
      "target 'supervisor' takes only supervisor.* commands, not 'agent.kill'",
    );
    await sup.close();
  });

  test("every command records its sender; the ids root and supervisor are reserved", async () => {
    const own = await t.mintToken("sup-self");
    // Commands go only to registered agents (offline ones included).
    await (await t.openBus({ agentId: "sup-self" })).close();
    expect((await createCommand({ target: "sup-self", type: "agent.compact" }, own)).body.from).toBe(
      "sup-self",
    );
    expect((await createCommand({ target: "sup-self", type: "agent.compact" })).body.from).toBe("root");
    for (const agentId of ["root", "supervisor"]) {
      const minted = await t.call(t.rootToken, "POST", "/v1/tokens", {
        agentId,
        profileId: "provider-agent",
        ttlSeconds: 60,
      });
      expect(minted.status, agentId).toBe(400);
      expect(minted.body.error.message).toContain(`agentId '${agentId}' is reserved`);
      const hello = await t.openBus({ agentId });
      expect(hello.frames[0], agentId).toMatchObject({ type: "error", code: "conflict" });
      expect(hello.frames[0]?.message).toContain(`agent id '${agentId}' is reserved`);
    }
  });
});
