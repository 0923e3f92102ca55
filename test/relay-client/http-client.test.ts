import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { RelayBusClient } from "../../src/relay-client/bus-client.ts";
import {
  HttpError,
  isHttpError,
  RelayProtocolError,
  RelayUnavailableError,
  ResponseTooLargeError,
} from "../../src/relay-client/errors.ts";
import { RelayHttpClient } from "../../src/relay-client/http-client.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { HELLO } from "./scripted-bus.ts";

// Real relays and sockets on a shared 2-core machine: allow more than Bun's 5 s default (bunfig has no such key).
setDefaultTimeout(20_000);

let t: TestRelay;
beforeAll(async () => {
  t = await startTestRelay();
});
afterAll(async () => {
  await t.close();
});

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the call to fail");
}

describe("RelayHttpClient against the embedded relay", () => {
  let root: RelayHttpClient;
  beforeAll(() => {
    root = new RelayHttpClient({ relayUrl: t.url, token: t.rootToken });
  });
  afterAll(async () => {
    await root.close();
  });

  test("health answers ok with the relay version", async () => {
    expect(await root.health()).toMatchObject({ ok: true, version: expect.any(String) });
  });

  test("a claimable message goes through send, unread, claim, conflict, renew, read and complete", async () => {
    const agent = "worker";
    const sent = await root.sendMessage({
      to: agent,
      body: "do it",
      claimable: true,
      subject: "job",
      from: "boss",
    });
    expect(sent).toMatchObject({ from: "boss", to: agent, body: "do it", claimable: true, subject: "job" });
    expect((await root.getUnread(agent)).map((m) => m.id)).toContain(sent.id);
    expect(await root.getUnread(agent, { afterId: sent.id })).toEqual([]);

    const claim = await root.claim(sent.id, agent, 60_000);
    expect(claim.ok).toBe(true);
    expect(await root.claim(sent.id, "someone-else")).toEqual({ ok: false, claimedBy: agent });
    expect(await root.renewClaim(sent.id, "someone-else")).toEqual({ ok: false, claimedBy: agent });
    const renewed = await root.renewClaim(sent.id, agent, 120_000);
    expect(renewed.ok && claim.ok && renewed.claimExpiresAt > claim.claimExpiresAt).toBe(true);

    await root.markRead(sent.id, agent);
    await root.react(sent.id, agent, "eyes");
    await root.completeClaim(sent.id, agent);
    const after = await root.getMessage(sent.id);
    expect(after.readBy).toContain(agent);
    expect(after.reactions.map((r) => r.reaction)).toEqual(["eyes"]);
    expect(after.claimCompletedAt).toBeNumber();
    expect(await root.claim(sent.id, "someone-else")).toMatchObject({ ok: false });
  });

  test("a released claim can be taken by another agent", async () => {
    const m = await root.sendMessage({ to: "broadcast", body: "first come", claimable: true });
    expect((await root.claim(m.id, "a1")).ok).toBe(true);
    await root.releaseClaim(m.id, "a1");
    expect((await root.claim(m.id, "a2")).ok).toBe(true);
  });

  test("batch claim, read and complete settle many messages in three calls; lost races are answers", async () => {
    const agent = "batcher";
    const jobs = [];
    for (let i = 0; i < 3; i++)
      jobs.push(await root.sendMessage({ to: agent, body: `job ${i}`, claimable: true }));
    const note = await root.sendMessage({ to: agent, body: "fyi" });
    const [a, b, c] = jobs.map((m) => m.id) as [number, number, number];
    expect((await root.claim(b, "rival")).ok).toBe(true);

    const claims = await root.claimMany(agent, [c, b, note.id, a], 60_000);
    expect(claims.claimed.map((x) => x.id)).toEqual([c, a]);
    expect(claims.conflicts).toEqual([{ id: b, claimedBy: "rival" }]);
    expect(claims.notClaimable).toEqual([note.id]);

    expect(await root.markReadMany(agent, [a, c, note.id])).toBe(3);
    expect(await root.markReadMany(agent, [a])).toBe(0);
    expect(await root.completeClaims(agent, [a, b, c])).toEqual({
      ok: false,
      completed: 2,
      conflicts: [{ id: b, claimedBy: "rival" }],
      notClaimable: [],
    });
    const after = await root.getMessage(a);
    expect(after.readBy).toEqual([agent]);
    expect(after.claimCompletedAt).toBeNumber();
    const missing = await thrown(root.markReadMany(agent, [a, 999_999]));
    expect(missing).toMatchObject({ status: 404, code: "not_found" });
  });

  test("a reply-required message is an obligation until its recipient replies", async () => {
    const agent = "obliged";
    const q = await root.sendMessage({
      to: agent,
      body: "answer me",
      payload: { replyRequired: true },
      from: "asker",
    });
    expect((await root.getReplyObligations(agent)).map((m) => m.id)).toEqual([q.id]);
    await root.sendMessage({ to: "asker", body: "answered", replyTo: q.id, from: agent });
    expect(await root.getReplyObligations(agent)).toEqual([]);
  });

  test("tasks and commands are created, read and moved through their statuses", async () => {
    const task = await root.createTask({ title: "build it", body: "carefully", assignee: "builder" });
    expect(task).toMatchObject({ title: "build it", status: "open", assignee: "builder" });
    expect((await root.getTask(task.id)).id).toBe(task.id);
    const moved = await root.setTaskStatus(task.id, {
      status: "in_progress",
      agentId: "builder",
      body: "on it",
    });
    expect(moved.status).toBe("in_progress");
    expect(moved.history.at(-1)).toMatchObject({
      status: "in_progress",
      agentId: "builder",
      body: "on it",
    });

    // Commands go only to registered agents (online or not).
    await (await t.openBus({ agentId: "builder" })).close();
    const cmd = await root.createCommand({
      target: "builder",
      type: "agent.restart",
      params: { why: "test" },
    });
    expect(cmd).toMatchObject({ status: "pending", type: "agent.restart", params: { why: "test" } });
    expect((await root.getCommand(cmd.id)).id).toBe(cmd.id);
    const done = await root.setCommandStatus(cmd.id, { status: "succeeded", result: { restarted: true } });
    expect(done).toMatchObject({ status: "succeeded", result: { restarted: true } });
  });

  test("attachments upload and download byte for byte, and maxBytes cuts off a larger one", async () => {
    const bytes = new Uint8Array(100_000).map((_, i) => i % 251);
    const ref = await root.uploadAttachment(bytes, { name: "data.bin", mimeType: "application/x-test" });
    expect(ref).toMatchObject({ name: "data.bin", mimeType: "application/x-test", size: 100_000 });
    expect(await root.downloadAttachment(ref.id)).toEqual(bytes);
    expect(await thrown(root.downloadAttachment(ref.id, { maxBytes: 1000 }))).toBeInstanceOf(
      ResponseTooLargeError,
    );
  });

  test("a runtime token renews, registers on the bus, and keeps its agent's liveness over HTTP (single and combined calls)", async () => {
    const agentId = "live";
    const minted = await root.createToken({ agentId, profileId: "provider-agent", ttlSeconds: 600 });
    expect(minted.record).toMatchObject({ agentId, profileId: "provider-agent" });
    const agent = new RelayHttpClient({ relayUrl: t.url, token: minted.token });
    const renewed = await agent.renewToken();
    expect(renewed.record.jti).not.toBe(minted.record.jti);
    agent.setToken(renewed.token);

    const bus = new RelayBusClient({
      relayUrl: t.url,
      token: renewed.token,
      hello: { ...HELLO, agentId, instanceId: "inst-1" },
      logger: silentLogger(),
    });
    try {
      bus.start();
      await bus.waitForOpen({ timeoutMs: 5_000 });
      expect((await root.listAgents()).map((a) => a.id)).toContain(agentId);
      expect(
        await agent.putStatus(agentId, { status: "busy", instanceId: "inst-1", semanticStatus: "busy" }),
      ).toMatchObject({
        status: "busy",
      });
      expect((await agent.putReady(agentId, true, "inst-1")).ready).toBe(true);
      expect((await agent.heartbeat(agentId, "inst-1", { ctx: 1 })).id).toBe(agentId);
      expect(
        await agent.liveness(agentId, {
          instanceId: "inst-1",
          status: "idle",
          semanticStatus: "waiting",
          ready: false,
          meta: { ctx: 2 },
        }),
      ).toMatchObject({ status: "idle", semanticStatus: "waiting", ready: false, meta: { ctx: 2 } });
      const staleRound = await thrown(
        agent.liveness(agentId, { instanceId: "inst-0", status: "idle", ready: true }),
      );
      expect(staleRound).toMatchObject({ status: 409, code: "stale_instance" });
      expect((await agent.getAgent(agentId)).instanceId).toBe("inst-1");
      const stale = await thrown(agent.heartbeat(agentId, "inst-0"));
      expect(stale).toMatchObject({ status: 409, code: "stale_instance" });
      await agent.deregister(agentId);
      expect(isHttpError(await thrown(root.getAgent(agentId)), 404)).toBe(true);
    } finally {
      await bus.close();
      await agent.close();
    }
  });

  test("relay refusals become HttpError with the status and the relay's code, never showing the token", async () => {
    const bad = new RelayHttpClient({ relayUrl: t.url, token: "wrong-token-value" });
    const e401 = await thrown(bad.getMessage(1));
    expect(e401).toBeInstanceOf(HttpError);
    expect(e401).toMatchObject({ status: 401, code: "unauthorized" });
    expect(`${e401} ${JSON.stringify(e401)}`).not.toContain("wrong-token-value");
    await bad.close();

    const token = await t.mintToken("me");
    const me = new RelayHttpClient({ relayUrl: t.url, token });
    const e403 = await thrown(me.getUnread("somebody-else"));
    expect(e403).toMatchObject({ status: 403, code: "forbidden" });
    expect(String(e403)).toContain("relay answered 403 forbidden");
    expect(String(e403)).not.toContain(token);
    await me.close();

    expect(await thrown(root.getMessage(987_654))).toMatchObject({ status: 404, code: "not_found" });
    const e400 = await thrown(root.sendMessage({ to: "not a target!", body: "x" }));
    expect(e400).toMatchObject({ status: 400, code: "invalid_request" });
    expect(isHttpError(e400, 400) && e400.details !== undefined).toBe(true);
    const plain = await root.sendMessage({ to: "x", body: "not claimable" });
    expect(await thrown(root.claim(plain.id, "x"))).toMatchObject({ status: 400, code: "not_claimable" });
  });
});

describe("RelayHttpClient failures outside the relay", () => {
  test("a relay that accepts but never answers raises RelayUnavailableError(timeout)", async () => {
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const c = new RelayHttpClient({ relayUrl: `http://127.0.0.1:${silent.port}`, timeoutMs: 200 });
      const e = await thrown(c.health());
      expect(e).toBeInstanceOf(RelayUnavailableError);
      expect(e).toMatchObject({ reason: "timeout", code: "RELAY_UNAVAILABLE" });
      await c.close();
    } finally {
      silent.stop(true);
    }
  });

  test("an unreachable relay raises RelayUnavailableError(network) with the cause chained", async () => {
    const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const port = s.port;
    s.stop(true);
    const c = new RelayHttpClient({ relayUrl: `http://127.0.0.1:${port}` });
    const e = (await thrown(c.health())) as RelayUnavailableError;
    expect(e).toBeInstanceOf(RelayUnavailableError);
    expect(e.reason).toBe("network");
    expect(e.cause).toBeDefined();
    await c.close();
  });

  test("the caller's AbortSignal stops a request with code ABORTED", async () => {
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const c = new RelayHttpClient({ relayUrl: `http://127.0.0.1:${silent.port}` });
      const ac = new AbortController();
      const p = thrown(c.health({ signal: ac.signal }));
      ac.abort(new Error("stop"));
      expect(await p).toMatchObject({ code: "ABORTED" });
      await c.close();
    } finally {
      silent.stop(true);
    }
  });

  test("answers that break the protocol raise RelayProtocolError instead of leaking bad data", async () => {
    const liar = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (req) =>
        new URL(req.url).pathname === "/v1/messages/1"
          ? Response.json({ id: "one", body: 5 })
          : new Response("{not json", { headers: { "content-type": "application/json" } }),
    });
    try {
      const c = new RelayHttpClient({ relayUrl: `http://127.0.0.1:${liar.port}` });
      const shape = await thrown(c.getMessage(1));
      expect(shape).toBeInstanceOf(RelayProtocolError);
      expect(String((shape as Error).message)).toContain("GET /v1/messages/1");
      expect(await thrown(c.health())).toBeInstanceOf(RelayProtocolError);
      await c.close();
    } finally {
      liar.stop(true);
    }
  });

  test("a non-JSON error page still becomes an HttpError with an http_<status> code", async () => {
    const proxy = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => new Response("Bad Gateway", { status: 502 }),
    });
    try {
      const c = new RelayHttpClient({ relayUrl: `http://127.0.0.1:${proxy.port}` });
      expect(await thrown(c.health())).toMatchObject({
        status: 502,
        code: "http_502",
        relayMessage: "Bad Gateway",
      });
      await c.close();
    } finally {
      proxy.stop(true);
    }
  });
});
