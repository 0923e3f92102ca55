// One agent's runtime token against another agent: commands, claims, tasks, reactions, meta, labels and tokens.
// Each test is an attack that worked on the relay before issue 9 and must now be refused.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { decodeJwt } from "jose";
import { BUS_CLOSE } from "../../src/protocol/index.ts";
import { type HelloFields, startTestRelay, type TestBus, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";

let t: TestRelay;

beforeAll(async () => {
  t = await startTestRelay();
});
afterAll(() => t.close());

/** A registered agent: its runtime token and one open bus session said hello with it. */
async function agent(id: string, hello: Partial<Omit<HelloFields, "agentId" | "token">> = {}) {
  const token = await t.mintToken(id);
  const bus = await t.openBus({ agentId: id, token, ...hello });
  expect(bus.frames[0]?.type).toBe("welcome");
  return { id, token, bus };
}

const commandFrames = (bus: TestBus) => bus.frames.filter((f) => f.type === "command");

/** Send a message as root and answer its id. */
async function send(to: string, extra: Record<string, unknown> = {}): Promise<number> {
  const r = await t.call(t.rootToken, "POST", "/v1/messages", { to, body: `to ${to}`, ...extra });
  expect(r.status).toBe(200);
  return r.body.id;
}

describe("commands are bound to the token's agent, never to a hello's componentId", () => {
  test("a session that says hello with another agent's id as componentId does not receive that agent's commands", async () => {
    const b = await agent("cv-b");
    const a = await agent("cv-a", { componentId: "cv-b" });
    const r = await t.call(t.rootToken, "POST", "/v1/commands", {
      target: "cv-b",
      type: "agent.injectContext",
    });
    expect(r.status).toBe(200);
    await b.bus.waitForFrame((f) => f.type === "command");
    // A later command to A itself arrives first on A's session: nothing of B's came before it.
    const own = await t.call(t.rootToken, "POST", "/v1/commands", { target: "cv-a", type: "agent.compact" });
    const first = await a.bus.waitForFrame((f) => f.type === "command");
    expect((first.command as { id: string }).id).toBe(own.body.id);
    expect(commandFrames(a.bus)).toHaveLength(1);
  });

  test("a runtime token's hello with a live agent's runner id is refused (conflict, 4403)", async () => {
    await agent("cv-c", { componentId: "runner-of-c" });
    const token = await t.mintToken("cv-d");
    const bus = await t.openBus({ agentId: "cv-d", token, componentId: "runner-of-c" });
    const err = await bus.waitForFrame((f) => f.type === "error");
    expect(err.code).toBe("conflict");
    expect(String(err.message)).toContain("runner-of-c");
    expect(await bus.closed).toBe(BUS_CLOSE.forbidden);
  });

  test("a runner id stays with its agent while it is offline: another agent's hello cannot take it", async () => {
    const owner = await agent("cv-o", { componentId: "runner-of-o" });
    owner.bus.send({ type: "status", agentStatus: "offline", semanticStatus: "offline", ready: false });
    await waitForStatus("cv-o", "offline");
    const token = await t.mintToken("cv-p");
    const bus = await t.openBus({ agentId: "cv-p", token, componentId: "runner-of-o" });
    expect((await bus.waitForFrame((f) => f.type === "error")).code).toBe("conflict");
    // Its own agent comes back with it (a restarted runner with the same runner id).
    await agent("cv-o", { componentId: "runner-of-o", instanceId: "cv-o-2" });
  });

  test("a command to a runner id resolves to that runner's agent: another agent's token is 403", async () => {
    await agent("cv-e", { componentId: "runner-of-e" });
    const other = await t.mintToken("cv-f");
    const r = await t.call(other, "POST", "/v1/commands", { target: "runner-of-e", type: "agent.shutdown" });
    expect(r.status).toBe(403);
  });

  test("no pre-planted command for a deregistered agent: its later start does not get it", async () => {
    const victim = await agent("cv-g", { componentId: "runner-of-g" });
    expect((await t.call(victim.token, "DELETE", "/v1/agents/cv-g")).status).toBe(200);
    // The attacker takes the freed runner id and plants a shutdown "for" it.
    const attacker = await agent("cv-h", { componentId: "runner-of-g" });
    const planted = await t.call(attacker.token, "POST", "/v1/commands", {
      target: "runner-of-g",
      type: "agent.shutdown",
    });
    expect(planted.status).toBe(200);
    // The attacker deregisters, so the runner id is free for its real owner again.
    expect((await t.call(attacker.token, "DELETE", "/v1/agents/cv-h")).status).toBe(200);
    // The victim comes back (new token: deregistration revoked the old one) and must not be told to shut down.
    const back = await agent("cv-g", { componentId: "runner-of-g", instanceId: "cv-g-2" });
    const own = await t.call(t.rootToken, "POST", "/v1/commands", { target: "cv-g", type: "agent.compact" });
    const first = await back.bus.waitForFrame((f) => f.type === "command");
    expect((first.command as { id: string }).id).toBe(own.body.id);
    expect(commandFrames(back.bus).map((f) => (f.command as { id: string }).id)).not.toContain(
      planted.body.id,
    );
  });

  test("only the target agent (or root) reads a command or reports its status", async () => {
    const x = await agent("cv-x");
    const y = await t.mintToken("cv-y");
    const c = await t.call(x.token, "POST", "/v1/commands", { target: "cv-x", type: "agent.compact" });
    expect((await t.call(y, "GET", `/v1/commands/${c.body.id}`)).status).toBe(403);
    expect((await t.call(y, "POST", `/v1/commands/${c.body.id}/status`, { status: "failed" })).status).toBe(
      403,
    );
    expect((await t.call(x.token, "GET", `/v1/commands/${c.body.id}`)).status).toBe(200);
    expect((await t.call(t.rootToken, "GET", `/v1/commands/${c.body.id}`)).status).toBe(200);
  });
});

describe("claims honour addressing and a capped ttl", () => {
  test("an agent cannot claim (single or batch) a claimable message addressed only to another agent", async () => {
    await agent("cl-owner");
    const intruder = await agent("cl-intruder");
    const id = await send("cl-owner", { claimable: true });
    const single = await t.call(intruder.token, "POST", `/v1/messages/${id}/claim`, {
      agentId: "cl-intruder",
    });
    expect(single.status).toBe(403);
    expect(single.body.error.message).toContain("not addressed");
    const batch = await t.call(intruder.token, "POST", "/v1/agents/cl-intruder/claims", { messageIds: [id] });
    expect(batch.status).toBe(403);
    // So it cannot read or complete it through a claim either.
    expect((await t.call(intruder.token, "GET", `/v1/messages/${id}`)).status).toBe(403);
    const complete = await t.call(intruder.token, "POST", `/v1/messages/${id}/claim/complete`, {
      agentId: "cl-intruder",
    });
    expect(complete.status).toBe(409);
    // The addressee still claims it.
    const ownerToken = await t.mintToken("cl-owner");
    expect(
      (await t.call(ownerToken, "POST", `/v1/messages/${id}/claim`, { agentId: "cl-owner" })).status,
    ).toBe(200);
  });

  test("a claim ttl over 15 minutes is 400 naming ttlMs", async () => {
    const owner = await agent("cl-ttl");
    const id = await send("cl-ttl", { claimable: true });
    const day = 24 * 3600 * 1000;
    const r = await t.call(owner.token, "POST", `/v1/messages/${id}/claim`, {
      agentId: "cl-ttl",
      ttlMs: day,
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain("ttlMs");
    const batch = await t.call(owner.token, "POST", "/v1/agents/cl-ttl/claims", {
      messageIds: [id],
      ttlMs: day,
    });
    expect(batch.status).toBe(400);
    const ok = await t.call(owner.token, "POST", `/v1/messages/${id}/claim`, {
      agentId: "cl-ttl",
      ttlMs: 15 * 60_000,
    });
    expect(ok.status).toBe(200);
  });
});

describe("tasks, reactions and meta", () => {
  test("only the assignee, the creator or root changes a task's status", async () => {
    const creator = await t.mintToken("tk-creator");
    const assignee = await t.mintToken("tk-assignee");
    const other = await t.mintToken("tk-other");
    const task = await t.call(creator, "POST", "/v1/tasks", { title: "work", assignee: "tk-assignee" });
    const set = (token: string, agentId: string, status: string) =>
      t.call(token, "POST", `/v1/tasks/${task.body.id}/status`, { status, agentId });
    const refused = await set(other, "tk-other", "cancelled");
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain("tk-assignee");
    expect((await set(assignee, "tk-assignee", "in_progress")).status).toBe(200);
    expect((await set(creator, "tk-creator", "open")).status).toBe(200);
    expect((await set(t.rootToken, "root", "cancelled")).status).toBe(200);
  });

  test("an unassigned task is taken by the first other agent that moves it; then others are refused", async () => {
    const a = await t.mintToken("tk-a");
    const b = await t.mintToken("tk-b");
    const task = await t.call(t.rootToken, "POST", "/v1/tasks", { title: "anyone" });
    const moved = await t.call(a, "POST", `/v1/tasks/${task.body.id}/status`, {
      status: "in_progress",
      agentId: "tk-a",
    });
    expect(moved.status).toBe(200);
    expect(moved.body.assignee).toBe("tk-a");
    const cancel = await t.call(b, "POST", `/v1/tasks/${task.body.id}/status`, {
      status: "cancelled",
      agentId: "tk-b",
    });
    expect(cancel.status).toBe(403);
  });

  test("a reaction on a message the token cannot read is refused like reading it, and records nothing", async () => {
    await agent("rx-to");
    const outsider = await t.mintToken("rx-outsider");
    const id = await send("rx-to");
    const read = await t.call(outsider, "GET", `/v1/messages/${id}`);
    const react = await t.call(outsider, "POST", `/v1/messages/${id}/reactions`, {
      agentId: "rx-outsider",
      reaction: "+1",
    });
    expect(react.status).toBe(read.status);
    expect(react.body).toEqual(read.body);
    const missing = await t.call(outsider, "POST", "/v1/messages/999999/reactions", {
      agentId: "rx-outsider",
      reaction: "+1",
    });
    expect(missing.status).toBe(404);
    expect((await t.call(t.rootToken, "GET", `/v1/messages/${id}`)).body.reactions).toEqual([]);
  });

  test("hello meta over 16 KiB is refused naming meta; status and liveness meta are capped the same way", async () => {
    const big = { blob: "x".repeat(17 * 1024) };
    const token = await t.mintToken("mt-a");
    const refused = await t.openBus({ agentId: "mt-a", token, meta: big });
    const err = await refused.waitForFrame((f) => f.type === "error");
    expect(err.code).toBe("invalid_request");
    expect(String(err.message)).toContain("meta");
    expect(await refused.closed).toBe(BUS_CLOSE.protocolError);

    const ok = await t.openBus({ agentId: "mt-a", token, meta: { small: true } });
    ok.send({ type: "status", agentStatus: "busy", semanticStatus: "busy", ready: true, meta: big });
    const frameErr = await ok.waitForFrame((f) => f.type === "error");
    expect(String(frameErr.message)).toContain("meta");
    ok.send({ type: "heartbeat", meta: big });
    await ok.waitForFrame((f) => f.type === "error" && f !== frameErr);
    const liveness = await t.call(token, "POST", "/v1/agents/mt-a/liveness", {
      instanceId: "inst-mt-a",
      status: "idle",
      ready: true,
      meta: big,
    });
    expect(liveness.status).toBe(400);
    expect((await t.call(token, "GET", "/v1/agents/mt-a")).body.meta).toEqual({ small: true });
  });
});

describe("labels: the first live holder keeps a label", () => {
  test("a second agent's hello with a label a live agent holds is refused; label messages stay pinned", async () => {
    const holder = await agent("lb-holder", { label: "lead" });
    const token = await t.mintToken("lb-squatter");
    const squat = await t.openBus({ agentId: "lb-squatter", token, label: "lead" });
    const err = await squat.waitForFrame((f) => f.type === "error");
    expect(err.code).toBe("conflict");
    expect(String(err.message)).toContain("lb-holder");
    expect(await squat.closed).toBe(BUS_CLOSE.forbidden);
    const id = await send("label:lead");
    expect((await t.call(t.rootToken, "GET", `/v1/messages/${id}`)).body.resolvedToAgent).toBe("lb-holder");
    await holder.bus.waitForFrame((f) => f.type === "message.new");
  });

  test("a label held only by an offline agent passes to the next hello, and the offline one loses it", async () => {
    const old = await agent("lb-old", { label: "ops" });
    old.bus.send({ type: "status", agentStatus: "offline", semanticStatus: "offline", ready: false });
    await waitForStatus("lb-old", "offline");
    await agent("lb-new", { label: "ops" });
    expect((await t.call(t.rootToken, "GET", "/v1/agents/lb-old")).body.label).toBeUndefined();
    const id = await send("label:ops");
    expect((await t.call(t.rootToken, "GET", `/v1/messages/${id}`)).body.resolvedToAgent).toBe("lb-new");
  });
});

async function waitForStatus(agentId: string, status: string): Promise<void> {
  await waitFor(
    async () => (await t.call(t.rootToken, "GET", `/v1/agents/${agentId}`)).body?.status === status,
    { timeoutMs: 5_000, intervalMs: 10, what: `${agentId} to become ${status}` },
  );
}

describe("token revocation", () => {
  test("deregistration revokes the agent's tokens: no reads, sends or hellos with them after", async () => {
    const z = await agent("rv-z");
    const spare = await t.mintToken("rv-z");
    expect((await t.call(z.token, "DELETE", "/v1/agents/rv-z")).status).toBe(200);
    for (const token of [z.token, spare]) {
      expect((await t.call(token, "GET", "/v1/agents/rv-z/unread")).status).toBe(401);
      expect((await t.call(token, "POST", "/v1/messages", { to: "rv-other", body: "hi" })).status).toBe(401);
      const hello = await t.openBus({ agentId: "rv-z", token });
      expect((await hello.waitForFrame((f) => f.type === "error")).code).toBe("unauthorized");
    }
    // A newly minted token works: deregistration is not a ban.
    expect((await t.call(await t.mintToken("rv-z"), "GET", "/v1/agents/rv-z/unread")).status).toBe(200);
  });

  test("renewal is single-use: the old token renews once, a second time is 401", async () => {
    const token = await t.mintToken("rv-renew");
    const first = await t.call(token, "POST", "/v1/tokens/renew");
    expect(first.status).toBe(200);
    const second = await t.call(token, "POST", "/v1/tokens/renew");
    expect(second.status).toBe(401);
    expect(second.body.error.message).toContain("already renewed");
    // The new token renews in its turn.
    expect((await t.call(first.body.token, "POST", "/v1/tokens/renew")).status).toBe(200);
  });

  test("POST /v1/tokens/revoke: a token revokes itself, not others; root revokes by jti or by agent", async () => {
    const self = await t.mintToken("rv-self");
    const other = await t.mintToken("rv-victim");
    const otherJti = decodeJwt(other).jti;
    expect((await t.call(self, "POST", "/v1/tokens/revoke", { jti: otherJti })).status).toBe(403);
    expect((await t.call(self, "POST", "/v1/tokens/revoke", { agentId: "rv-victim" })).status).toBe(403);
    expect((await t.call(other, "GET", "/v1/agents/rv-victim/unread")).status).toBe(200);
    expect((await t.call(self, "POST", "/v1/tokens/revoke", {})).body).toEqual({ ok: true, revoked: 1 });
    expect((await t.call(self, "GET", "/v1/agents/rv-self/unread")).status).toBe(401);

    expect((await t.call(t.rootToken, "POST", "/v1/tokens/revoke", { jti: otherJti })).status).toBe(200);
    expect((await t.call(other, "GET", "/v1/agents/rv-victim/unread")).status).toBe(401);

    const many = [await t.mintToken("rv-many"), await t.mintToken("rv-many")];
    const all = await t.call(t.rootToken, "POST", "/v1/tokens/revoke", { agentId: "rv-many" });
    expect(all.body).toEqual({ ok: true, revoked: 2 });
    for (const token of many)
      expect((await t.call(token, "GET", "/v1/agents/rv-many/unread")).status).toBe(401);
    expect((await t.call(t.rootToken, "POST", "/v1/tokens/revoke", {})).status).toBe(400);
  });
});

describe("deregistration names the instance", () => {
  test("an old instance's late DELETE does not remove the new instance (409 stale_instance)", async () => {
    const token = await t.mintToken("dr-a");
    await t.openBus({ agentId: "dr-a", token, instanceId: "dr-old" });
    await t.openBus({ agentId: "dr-a", token, instanceId: "dr-new" });
    const late = await t.call(token, "DELETE", "/v1/agents/dr-a?instanceId=dr-old");
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe("stale_instance");
    const still = await t.call(token, "GET", "/v1/agents/dr-a");
    expect(still.status).toBe(200);
    expect(still.body.instanceId).toBe("dr-new");
    expect((await t.call(token, "DELETE", "/v1/agents/dr-a?instanceId=dr-new")).status).toBe(200);
    expect((await t.call(t.rootToken, "GET", "/v1/agents/dr-a")).status).toBe(404);
  });
});

describe("what a newly registered agent receives", () => {
  test("group messages sent before its first registration are not delivered; direct ones are; later ones are", async () => {
    const before = {
      broadcast: await send("broadcast"),
      tag: await send("tag:nw-team"),
      cap: await send("cap:nw-skill"),
      label: await send("label:nw-label"),
      direct: await send("nw-agent"),
    };
    const hello = { label: "nw-label", tags: ["nw-team"], capabilities: ["nw-skill"] };
    await agent("nw-agent", hello);
    // Deregistering and coming back is not a new agent: the first registration still counts.
    await t.call(t.rootToken, "DELETE", "/v1/agents/nw-agent");
    const token = await t.mintToken("nw-agent");
    const bus = await t.openBus({ agentId: "nw-agent", token, instanceId: "nw-2", ...hello });
    const after = await send("broadcast");
    const unread = await t.call(token, "GET", "/v1/agents/nw-agent/unread");
    const ids = unread.body.messages.map((m: { id: number }) => m.id);
    expect(ids).toContain(before.direct);
    expect(ids).toContain(after);
    for (const old of [before.broadcast, before.tag, before.cap, before.label])
      expect(ids).not.toContain(old);
    await bus.close();
  });
});
