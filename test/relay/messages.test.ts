import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

let t: TestRelay;
let tokenA: string;
let tokenB: string;

beforeAll(async () => {
  t = await startTestRelay({ limits: { jsonBodyBytes: 4096 } });
  tokenA = await t.mintToken("msg-a");
  tokenB = await t.mintToken("msg-b");
});
afterAll(() => t.close());

describe("POST /v1/messages", () => {
  test("a runtime token sends as its own agent and gets the stored message back", async () => {
    const r = await t.call(tokenA, "POST", "/v1/messages", { to: "msg-b", body: "hello", subject: "s" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      from: "msg-a",
      to: "msg-b",
      kind: "chat",
      body: "hello",
      subject: "s",
      claimable: false,
    });
    expect(r.body.readBy).toEqual([]);
    expect(r.body.resolvedToAgent).toBeUndefined();
    // The same message, with its recipient's receipt (queued: no runner took it yet).
    const again = await t.call(tokenB, "GET", `/v1/messages/${r.body.id}`);
    expect(again.body).toEqual({
      ...r.body,
      receipts: [{ agentId: "msg-b", state: "queued", at: r.body.createdAt }],
    });
  });

  test("message ids increase monotonically", async () => {
    const a = await t.call(t.rootToken, "POST", "/v1/messages", { to: "x", body: "1" });
    const b = await t.call(t.rootToken, "POST", "/v1/messages", { to: "x", body: "2" });
    expect(b.body.id).toBeGreaterThan(a.body.id);
  });

  test("root sends as 'root' by default and may send on behalf of any agent", async () => {
    const plain = await t.call(t.rootToken, "POST", "/v1/messages", { to: "msg-b", body: "x" });
    expect(plain.body.from).toBe("root");
    const onBehalf = await t.call(t.rootToken, "POST", "/v1/messages", {
      to: "msg-b",
      body: "x",
      from: "msg-a",
    });
    expect(onBehalf.body.from).toBe("msg-a");
  });

  test("a runtime token sending as another agent gets 403", async () => {
    const r = await t.call(tokenA, "POST", "/v1/messages", { to: "msg-b", body: "x", from: "msg-b" });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("forbidden");
  });

  test("a bad target is a 400 with zod issues in details and a readable message", async () => {
    const r = await t.call(tokenA, "POST", "/v1/messages", { to: "bad target!", body: "x" });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("invalid_request");
    expect(r.body.error.message).toContain("to");
    expect(Array.isArray(r.body.error.details)).toBe(true);
  });

  test("a body that is not JSON is a 400", async () => {
    const res = await t.fetchAs(tokenA, "/v1/messages", { method: "POST", body: "{not json" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
  });

  test("replyTo naming a message that does not exist is a 400", async () => {
    const r = await t.call(tokenA, "POST", "/v1/messages", { to: "msg-b", body: "x", replyTo: 999_999 });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain("replyTo");
  });

  test("requireRecipient: a target no registered agent answers to is a 404 and nothing is stored; without it, it is kept", async () => {
    await (
      await t.openBus({
        agentId: "msg-held",
        label: "msg-lead",
        tags: ["msg-team"],
        capabilities: ["msg-cap"],
      })
    ).close();
    const send = (to: string, requireRecipient = true) =>
      t.call(t.rootToken, "POST", "/v1/messages", { to, body: "x", requireRecipient });
    const before = (await send("msg-held")).body.id as number;
    for (const to of ["msg-none", "label:msg-none", "tag:msg-none", "cap:msg-none"]) {
      const r = await send(to);
      expect(r.status).toBe(404);
      expect(r.body.error).toEqual({ code: "not_found", message: `no registered agent answers to '${to}'` });
    }
    for (const to of ["label:msg-lead", "tag:msg-team", "cap:msg-cap", "broadcast"]) {
      expect((await send(to)).status).toBe(200);
    }
    // Refused sends stored nothing: ids continue from the last accepted one.
    const queued = await send("msg-none", false);
    expect(queued.status).toBe(200);
    expect(queued.body.id).toBe(before + 5);
  });

  test("unknown attachment ids are a 400", async () => {
    const r = await t.call(tokenA, "POST", "/v1/messages", {
      to: "msg-b",
      body: "x",
      attachmentIds: ["nope"],
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain("nope");
  });

  test("a request without a token is 401 and one with a garbage token is 401", async () => {
    expect((await t.call(undefined, "POST", "/v1/messages", { to: "x", body: "x" })).status).toBe(401);
    const garbage = await t.call("not-a-token", "POST", "/v1/messages", { to: "x", body: "x" });
    expect(garbage.status).toBe(401);
    expect(garbage.body.error.code).toBe("unauthorized");
  });

  test("a body over the JSON cap is refused with 413 before parsing", async () => {
    const r = await t.call(tokenA, "POST", "/v1/messages", { to: "msg-b", body: "x".repeat(5000) });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe("payload_too_large");
  });

  test("a chunked body over the JSON cap is refused with 413 while streaming", async () => {
    const chunk = new TextEncoder().encode("x".repeat(1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(`${t.url}/v1/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokenA}`, "content-type": "application/json" },
      body: stream,
    });
    expect(res.status).toBe(413);
  });
});

describe("GET /v1/messages/:id", () => {
  test("an unknown id is 404 and a non-numeric id is 400", async () => {
    expect((await t.call(tokenA, "GET", "/v1/messages/424242")).status).toBe(404);
    expect((await t.call(tokenA, "GET", "/v1/messages/abc")).status).toBe(400);
    expect((await t.call(tokenA, "GET", "/v1/messages/0")).status).toBe(400);
  });

  const sendAsRoot = async (body: Record<string, unknown>) =>
    (await t.call(t.rootToken, "POST", "/v1/messages", { body: "x", ...body })).body.id as number;
  const readAs = async (token: string, id: number) =>
    (await t.call(token, "GET", `/v1/messages/${id}`)).status;

  test("a runtime token reads only messages from, addressed to, claimed or read by its agent; root reads all", async () => {
    await t.openBus({ agentId: "msg-c", label: "lab-c", tags: ["t-c"], capabilities: ["k-c"] });
    const tokenC = await t.mintToken("msg-c");
    for (const to of ["msg-c", "label:lab-c", "tag:t-c", "cap:k-c", "broadcast"]) {
      expect({ to, status: await readAs(tokenC, await sendAsRoot({ to })) }).toEqual({ to, status: 200 });
    }
    const own = (await t.call(tokenC, "POST", "/v1/messages", { to: "msg-z", body: "mine" })).body.id;
    expect(await readAs(tokenC, own)).toBe(200);
    for (const to of ["msg-z", "tag:other", "cap:other", "label:other"]) {
      const id = await sendAsRoot({ to });
      expect({ to, status: await readAs(tokenC, id) }).toEqual({ to, status: 403 });
      expect(await readAs(t.rootToken, id)).toBe(200);
    }
    const claimable = await sendAsRoot({ to: "msg-z", claimable: true });
    expect(await readAs(tokenC, claimable)).toBe(403);
    // A runtime token cannot claim what is not addressed to it (403); root claims on its behalf.
    expect(
      (await t.call(tokenC, "POST", `/v1/messages/${claimable}/claim`, { agentId: "msg-c" })).status,
    ).toBe(403);
    await t.call(t.rootToken, "POST", `/v1/messages/${claimable}/claim`, { agentId: "msg-c" });
    expect(await readAs(tokenC, claimable)).toBe(200);
  });

  test("a message stays readable to an agent that read it after the agent drops the tag it came by", async () => {
    await t.openBus({ agentId: "msg-d", instanceId: "d1", tags: ["t-d"] });
    const tokenD = await t.mintToken("msg-d");
    const id = await sendAsRoot({ to: "tag:t-d" });
    expect((await t.call(tokenD, "POST", `/v1/messages/${id}/read`, { agentId: "msg-d" })).status).toBe(200);
    await t.openBus({ agentId: "msg-d", instanceId: "d2", tags: [] });
    expect(await readAs(tokenD, id)).toBe(200);
    expect(await readAs(tokenD, await sendAsRoot({ to: "tag:t-d" }))).toBe(403);
  });

  test("marking read does not open a message the agent may not read", async () => {
    const tokenE = await t.mintToken("msg-e");
    const id = await sendAsRoot({ to: "msg-z" });
    expect((await t.call(tokenE, "POST", `/v1/messages/${id}/read`, { agentId: "msg-e" })).status).toBe(403);
    expect(await readAs(tokenE, id)).toBe(403);
  });

  test("an unregistered agent reads its direct and broadcast messages only", async () => {
    const tokenU = await t.mintToken("msg-unregistered");
    expect(await readAs(tokenU, await sendAsRoot({ to: "msg-unregistered" }))).toBe(200);
    expect(await readAs(tokenU, await sendAsRoot({ to: "broadcast" }))).toBe(200);
    expect(await readAs(tokenU, await sendAsRoot({ to: "tag:t-c" }))).toBe(403);
  });
});

describe("read and reactions", () => {
  test("marking read is idempotent and shows in readBy", async () => {
    const m = (await t.call(tokenA, "POST", "/v1/messages", { to: "msg-b", body: "r" })).body;
    for (let i = 0; i < 2; i++) {
      const r = await t.call(tokenB, "POST", `/v1/messages/${m.id}/read`, { agentId: "msg-b" });
      expect(r.body).toEqual({ ok: true });
    }
    expect((await t.call(tokenB, "GET", `/v1/messages/${m.id}`)).body.readBy).toEqual(["msg-b"]);
  });

  test("the same reaction twice is stored once", async () => {
    const m = (await t.call(tokenA, "POST", "/v1/messages", { to: "msg-b", body: "r" })).body;
    await t.call(tokenB, "POST", `/v1/messages/${m.id}/reactions`, { agentId: "msg-b", reaction: "👍" });
    await t.call(tokenB, "POST", `/v1/messages/${m.id}/reactions`, { agentId: "msg-b", reaction: "👍" });
    await t.call(tokenB, "POST", `/v1/messages/${m.id}/reactions`, { agentId: "msg-b", reaction: "eyes" });
    const got = (await t.call(tokenB, "GET", `/v1/messages/${m.id}`)).body.reactions;
    expect(got.map((r: { reaction: string }) => r.reaction).sort()).toEqual(["eyes", "👍"]);
    expect(got[0].agentId).toBe("msg-b");
  });

  test("reading or reacting for another agent is 403, on a missing message 404, without agentId 400", async () => {
    const m = (await t.call(tokenA, "POST", "/v1/messages", { to: "msg-b", body: "r" })).body;
    expect((await t.call(tokenA, "POST", `/v1/messages/${m.id}/read`, { agentId: "msg-b" })).status).toBe(
      403,
    );
    const react = { agentId: "msg-b", reaction: "x" };
    expect((await t.call(tokenA, "POST", `/v1/messages/${m.id}/reactions`, react)).status).toBe(403);
    expect((await t.call(tokenB, "POST", "/v1/messages/999999/read", { agentId: "msg-b" })).status).toBe(404);
    expect((await t.call(tokenB, "POST", "/v1/messages/999999/reactions", react)).status).toBe(404);
    expect((await t.call(tokenB, "POST", `/v1/messages/${m.id}/read`, {})).status).toBe(400);
  });
});
