// Batch endpoints: many read marks, claims and completions in one call; single-call rules kept, batches all-or-nothing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

let t: TestRelay;
const clock = new ManualClock();

beforeAll(async () => {
  t = await startTestRelay({ clock, claimTtlMs: 60_000 });
});
afterAll(() => t.close());

const send = async (body: Record<string, unknown>) =>
  (await t.call(t.rootToken, "POST", "/v1/messages", { body: "x", ...body })).body.id as number;
const sendMany = async (n: number, body: Record<string, unknown>) => {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) ids.push(await send(body));
  return ids;
};
const get = async (id: number) => (await t.call(t.rootToken, "GET", `/v1/messages/${id}`)).body;

describe("POST /v1/agents/:id/read", () => {
  test("marks every id read in one call and counts only the ones not read before", async () => {
    const token = await t.mintToken("br-a");
    const ids = await sendMany(3, { to: "br-a" });
    await t.call(token, "POST", `/v1/messages/${ids[0]}/read`, { agentId: "br-a" });
    const r = await t.call(token, "POST", "/v1/agents/br-a/read", { messageIds: ids });
    expect(r).toEqual({ status: 200, body: { ok: true, read: 2 } });
    for (const id of ids) expect((await get(id)).readBy).toEqual(["br-a"]);
    const again = await t.call(token, "POST", "/v1/agents/br-a/read", { messageIds: ids });
    expect(again.body).toEqual({ ok: true, read: 0 });
  });

  test("a runtime token may mark what it sent, holds a claim on, or is addressed to; one other id refuses the whole batch", async () => {
    const token = await t.mintToken("br-b");
    const own = (await t.call(token, "POST", "/v1/messages", { to: "someone-else", body: "mine" })).body.id;
    const claimed = await send({ to: "tag:not-b", claimable: true });
    // Root claims it on br-b's behalf: a runtime token may claim only what is addressed to its agent.
    await t.call(t.rootToken, "POST", "/v1/agents/br-b/claims", { messageIds: [claimed] });
    const direct = await send({ to: "br-b" });
    const foreign = await send({ to: "someone-else" });
    const refused = await t.call(token, "POST", "/v1/agents/br-b/read", {
      messageIds: [own, claimed, direct, foreign],
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain(String(foreign));
    expect((await get(direct)).readBy).toEqual([]);
    const ok = await t.call(token, "POST", "/v1/agents/br-b/read", { messageIds: [own, claimed, direct] });
    expect(ok.body).toEqual({ ok: true, read: 3 });
    // Root may mark anything for anyone, as with the single read.
    const root = await t.call(t.rootToken, "POST", "/v1/agents/br-b/read", { messageIds: [foreign] });
    expect(root.body).toEqual({ ok: true, read: 1 });
  });

  test("an unknown id is a 404 naming it and nothing is written", async () => {
    const token = await t.mintToken("br-c");
    const id = await send({ to: "br-c" });
    const r = await t.call(token, "POST", "/v1/agents/br-c/read", { messageIds: [id, 987654] });
    expect(r.status).toBe(404);
    expect(r.body.error.message).toContain("987654");
    expect((await get(id)).readBy).toEqual([]);
  });

  test("another agent's path is 403, no token 401, and bad id lists 400", async () => {
    const token = await t.mintToken("br-d");
    const id = await send({ to: "br-e" });
    expect((await t.call(token, "POST", "/v1/agents/br-e/read", { messageIds: [id] })).status).toBe(403);
    expect((await t.call(undefined, "POST", "/v1/agents/br-d/read", { messageIds: [id] })).status).toBe(401);
    const tooMany = Array.from({ length: 501 }, (_, i) => i + 1);
    for (const messageIds of [[], [id, id], [0], ["1"], tooMany]) {
      const r = await t.call(token, "POST", "/v1/agents/br-d/read", { messageIds });
      expect({ messageIds: messageIds.length, status: r.status }).toEqual({
        messageIds: messageIds.length,
        status: 400,
      });
    }
    expect((await get(id)).readBy).toEqual([]);
  });
});

describe("POST /v1/agents/:id/claims", () => {
  test("claims in request order and sorts the rest into conflicts and notClaimable", async () => {
    const token = await t.mintToken("bc-a");
    const [free1, free2, held, done] = (await sendMany(4, { to: "broadcast", claimable: true })) as [
      number,
      number,
      number,
      number,
    ];
    const plain = await send({ to: "broadcast" });
    await t.call(t.rootToken, "POST", `/v1/messages/${held}/claim`, { agentId: "bc-other" });
    await t.call(t.rootToken, "POST", `/v1/messages/${done}/claim`, { agentId: "bc-done" });
    await t.call(t.rootToken, "POST", `/v1/messages/${done}/claim/complete`, { agentId: "bc-done" });
    const r = await t.call(token, "POST", "/v1/agents/bc-a/claims", {
      messageIds: [free2, held, plain, free1, done],
      ttlMs: 5_000,
    });
    expect(r.status).toBe(200);
    const expiresAt = clock.now() + 5_000;
    expect(r.body).toEqual({
      claimed: [
        { id: free2, claimExpiresAt: expiresAt },
        { id: free1, claimExpiresAt: expiresAt },
      ],
      conflicts: [
        { id: held, claimedBy: "bc-other" },
        { id: done, claimedBy: "bc-done" },
      ],
      notClaimable: [plain],
    });
    expect((await get(free1)).claimedBy).toBe("bc-a");
    expect((await get(free2)).claimExpiresAt).toBe(expiresAt);
  });

  test("claiming again as the live holder renews, with the relay's TTL when none is given", async () => {
    const token = await t.mintToken("bc-b");
    const id = await send({ to: "broadcast", claimable: true });
    await t.call(token, "POST", "/v1/agents/bc-b/claims", { messageIds: [id], ttlMs: 1_000 });
    await clock.advance(500);
    const r = await t.call(token, "POST", "/v1/agents/bc-b/claims", { messageIds: [id] });
    expect(r.body.claimed).toEqual([{ id, claimExpiresAt: clock.now() + 60_000 }]);
  });

  test("an unknown id is a 404 naming it and no claim is taken", async () => {
    const token = await t.mintToken("bc-c");
    const id = await send({ to: "broadcast", claimable: true });
    const r = await t.call(token, "POST", "/v1/agents/bc-c/claims", { messageIds: [id, 876543] });
    expect(r.status).toBe(404);
    expect(r.body.error.message).toContain("876543");
    expect((await get(id)).claimedBy).toBeUndefined();
  });

  test("another agent's path is 403, no token 401, a bad ttl or repeated id 400", async () => {
    const token = await t.mintToken("bc-d");
    const id = await send({ to: "broadcast", claimable: true });
    expect((await t.call(token, "POST", "/v1/agents/bc-x/claims", { messageIds: [id] })).status).toBe(403);
    expect((await t.call(undefined, "POST", "/v1/agents/bc-d/claims", { messageIds: [id] })).status).toBe(
      401,
    );
    expect(
      (await t.call(token, "POST", "/v1/agents/bc-d/claims", { messageIds: [id], ttlMs: 5 })).status,
    ).toBe(400);
    expect((await t.call(token, "POST", "/v1/agents/bc-d/claims", { messageIds: [id, id] })).status).toBe(
      400,
    );
    expect((await get(id)).claimedBy).toBeUndefined();
  });

  test("50 agents racing batch claims over the same messages leave exactly one winner per message", async () => {
    const ids = await sendMany(20, { to: "broadcast", claimable: true });
    const answers = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        // Each racer asks in its own rotated order, so the batches overlap in every way.
        const order = ids.map((_, k) => ids[(k + i) % ids.length]!);
        const r = await t.call(t.rootToken, "POST", `/v1/agents/race-${i}/claims`, { messageIds: order });
        expect(r.status).toBe(200);
        return { agent: `race-${i}`, body: r.body };
      }),
    );
    for (const id of ids) {
      const winners = answers.filter((a) => a.body.claimed.some((c: { id: number }) => c.id === id));
      expect(winners.map((w) => w.agent)).toHaveLength(1);
      const holder = (await get(id)).claimedBy;
      expect(winners[0]!.agent).toBe(holder);
      for (const loser of answers.filter((a) => a !== winners[0])) {
        expect(loser.body.conflicts).toContainEqual({ id, claimedBy: holder });
      }
    }
  });
});

describe("POST /v1/agents/:id/claims/complete", () => {
  test("completes the holder's claims and lists the others as conflicts without touching them", async () => {
    const token = await t.mintToken("bk-a");
    const [mine1, mine2, theirs, unheld] = (await sendMany(4, { to: "broadcast", claimable: true })) as [
      number,
      number,
      number,
      number,
    ];
    const plain = await send({ to: "broadcast" });
    await t.call(token, "POST", "/v1/agents/bk-a/claims", { messageIds: [mine1, mine2] });
    await t.call(t.rootToken, "POST", "/v1/agents/bk-other/claims", { messageIds: [theirs] });
    const r = await t.call(token, "POST", "/v1/agents/bk-a/claims/complete", {
      messageIds: [mine1, theirs, mine2, unheld, plain],
    });
    expect(r.body).toEqual({
      ok: false,
      completed: 2,
      conflicts: [
        { id: theirs, claimedBy: "bk-other" },
        { id: unheld, claimedBy: "" },
      ],
      notClaimable: [plain],
    });
    expect((await get(mine1)).claimCompletedAt).toBe(clock.now());
    expect((await get(theirs)).claimCompletedAt).toBeUndefined();
    // Completing again is a no-op success, as with the single form.
    const again = await t.call(token, "POST", "/v1/agents/bk-a/claims/complete", {
      messageIds: [mine1, mine2],
    });
    expect(again.body).toEqual({ ok: true, completed: 2, conflicts: [], notClaimable: [] });
  });

  test("an unknown id is 404, another agent's path 403", async () => {
    const token = await t.mintToken("bk-b");
    const id = await send({ to: "broadcast", claimable: true });
    await t.call(token, "POST", "/v1/agents/bk-b/claims", { messageIds: [id] });
    expect(
      (await t.call(token, "POST", "/v1/agents/bk-b/claims/complete", { messageIds: [id, 765432] })).status,
    ).toBe(404);
    expect((await get(id)).claimCompletedAt).toBeUndefined();
    expect(
      (await t.call(token, "POST", "/v1/agents/bk-other/claims/complete", { messageIds: [id] })).status,
    ).toBe(403);
  });
});

describe("POST /v1/agents/:id/liveness", () => {
  test("sets status, semantic status, readiness and meta and refreshes the heartbeat in one call", async () => {
    const token = await t.mintToken("bl-a");
    await t.openBus({ agentId: "bl-a", token, instanceId: "bl-a-1" });
    await clock.advance(1_000);
    const r = await t.call(token, "POST", "/v1/agents/bl-a/liveness", {
      instanceId: "bl-a-1",
      status: "busy",
      semanticStatus: "needs-input",
      ready: true,
      meta: { k: 1 },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: "bl-a",
      status: "busy",
      semanticStatus: "needs-input",
      ready: true,
      meta: { k: 1 },
      lastHeartbeatAt: clock.now(),
    });
    const plain = await t.call(token, "POST", "/v1/agents/bl-a/liveness", {
      instanceId: "bl-a-1",
      status: "idle",
      ready: false,
    });
    // semanticStatus defaults to status; meta is kept when omitted.
    expect(plain.body).toMatchObject({
      status: "idle",
      semanticStatus: "idle",
      ready: false,
      meta: { k: 1 },
    });
  });

  test("an old instance is 409 stale_instance, an unknown agent 404, another agent's path 403, no ready 400", async () => {
    const token = await t.mintToken("bl-b");
    await t.openBus({ agentId: "bl-b", token, instanceId: "bl-b-1" });
    const body = { instanceId: "bl-b-0", status: "idle", ready: true };
    const stale = await t.call(token, "POST", "/v1/agents/bl-b/liveness", body);
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("stale_instance");
    const ghost = await t.call(t.rootToken, "POST", "/v1/agents/bl-ghost/liveness", body);
    expect(ghost.status).toBe(404);
    expect((await t.call(token, "POST", "/v1/agents/bl-a/liveness", body)).status).toBe(403);
    const noReady = await t.call(token, "POST", "/v1/agents/bl-b/liveness", {
      instanceId: "bl-b-1",
      status: "idle",
    });
    expect(noReady.status).toBe(400);
  });
});
