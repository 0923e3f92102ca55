import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

let t: TestRelay;
let a: string;
let b: string;
let sender: string;

beforeAll(async () => {
  t = await startTestRelay();
  a = await t.mintToken("rcpt-a");
  b = await t.mintToken("rcpt-b");
  sender = await t.mintToken("rcpt-sender");
});
afterAll(() => t.close());

const send = async (body: Record<string, unknown>) =>
  (await t.call(sender, "POST", "/v1/messages", { body: "x", ...body })).body as { id: number };
const unreadIds = async (agent: string) =>
  ((await t.call(t.rootToken, "GET", `/v1/agents/${agent}/unread`)).body.messages as { id: number }[]).map(
    (m) => m.id,
  );

describe("POST /v1/messages/:id/refuse", () => {
  test("a recipient's refusal is final for it, leaves its inbox, and its sender sees the reason", async () => {
    const m = await send({ to: "rcpt-a", payload: { taskId: 999 } });
    expect(await unreadIds("rcpt-a")).toContain(m.id);
    const res = await t.call(a, "POST", `/v1/messages/${m.id}/refuse`, {
      agentId: "rcpt-a",
      reason: "task 999 does not exist",
    });
    expect(res.status).toBe(200);
    expect(await unreadIds("rcpt-a")).not.toContain(m.id);
    const seen = await t.call(sender, "GET", `/v1/messages/${m.id}`);
    expect(seen.body.receipts).toEqual([
      { agentId: "rcpt-a", state: "refused", reason: "task 999 does not exist", at: expect.any(Number) },
    ]);
    // Refusing again keeps the first reason.
    await t.call(a, "POST", `/v1/messages/${m.id}/refuse`, { agentId: "rcpt-a", reason: "other" });
    expect((await t.call(sender, "GET", `/v1/messages/${m.id}`)).body.receipts[0].reason).toBe(
      "task 999 does not exist",
    );
  });

  test("a broadcast refused by one agent stays in every other agent's inbox", async () => {
    const m = await send({ to: "broadcast" });
    await t.call(a, "POST", `/v1/messages/${m.id}/refuse`, { agentId: "rcpt-a", reason: "cannot" });
    expect(await unreadIds("rcpt-a")).not.toContain(m.id);
    expect(await unreadIds("rcpt-b")).toContain(m.id);
  });

  test("a refused claim is released, so another agent can take the message", async () => {
    const m = await send({ to: "broadcast", claimable: true });
    expect((await t.call(a, "POST", `/v1/messages/${m.id}/claim`, { agentId: "rcpt-a" })).status).toBe(200);
    await t.call(a, "POST", `/v1/messages/${m.id}/refuse`, { agentId: "rcpt-a", reason: "too big" });
    expect(await unreadIds("rcpt-a")).not.toContain(m.id);
    expect((await t.call(b, "POST", `/v1/messages/${m.id}/claim`, { agentId: "rcpt-b" })).status).toBe(200);
  });

  test("only an addressed agent, through its own token, may refuse; bad input names the field", async () => {
    const m = await send({ to: "rcpt-a" });
    const notForB = await t.call(b, "POST", `/v1/messages/${m.id}/refuse`, {
      agentId: "rcpt-b",
      reason: "x",
    });
    expect(notForB.status).toBe(403);
    const asOther = await t.call(b, "POST", `/v1/messages/${m.id}/refuse`, {
      agentId: "rcpt-a",
      reason: "x",
    });
    expect(asOther.status).toBe(403);
    const bySender = await t.call(sender, "POST", `/v1/messages/${m.id}/refuse`, {
      agentId: "rcpt-sender",
      reason: "x",
    });
    expect(bySender.status).toBe(403);
    expect((await t.call(sender, "GET", `/v1/messages/${m.id}`)).body.receipts).toEqual([
      { agentId: "rcpt-a", state: "queued", at: expect.any(Number) },
    ]);
    const noReason = await t.call(a, "POST", `/v1/messages/${m.id}/refuse`, { agentId: "rcpt-a" });
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(noReason.body)).toContain("reason");
    const tooLong = await t.call(a, "POST", `/v1/messages/${m.id}/refuse`, {
      agentId: "rcpt-a",
      reason: "r".repeat(1001),
    });
    expect(tooLong.status).toBe(400);
    expect(
      (await t.call(a, "POST", "/v1/messages/999999/refuse", { agentId: "rcpt-a", reason: "x" })).status,
    ).toBe(404);
    expect(await unreadIds("rcpt-a")).toContain(m.id);
  });
});

const receiptsOf = async (id: number) => (await t.call(sender, "GET", `/v1/messages/${id}`)).body.receipts;
const report = (token: string, agent: string, receipts: { messageId: number; state: string }[]) =>
  t.call(token, "POST", `/v1/agents/${agent}/receipts`, { receipts });

describe("POST /v1/agents/:id/receipts and answered", () => {
  test("a message to one agent is queued for it, then moves only forward as its runner reports", async () => {
    const m = await send({ to: "rcpt-a" });
    expect(await receiptsOf(m.id)).toEqual([{ agentId: "rcpt-a", state: "queued", at: expect.any(Number) }]);
    const first = await report(a, "rcpt-a", [{ messageId: m.id, state: "delivered" }]);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      ok: true,
      moved: [{ messageId: m.id, agentId: "rcpt-a", state: "delivered", at: expect.any(Number) }],
      ignored: [],
    });
    // claimed comes late (a batch): not a step back, and not an error either.
    const late = await report(a, "rcpt-a", [
      { messageId: m.id, state: "claimed" },
      { messageId: m.id, state: "seen" },
    ]);
    expect(late.body.moved.map((r: { state: string }) => r.state)).toEqual(["seen"]);
    expect(await receiptsOf(m.id)).toEqual([{ agentId: "rcpt-a", state: "seen", at: expect.any(Number) }]);
    // A reply from the recipient answers it; a reply from anyone else does not.
    await t.call(b, "POST", "/v1/messages", { to: "rcpt-sender", body: "me too", replyTo: m.id });
    expect((await receiptsOf(m.id))[0].state).toBe("seen");
    await t.call(a, "POST", "/v1/messages", { to: "rcpt-sender", body: "done", replyTo: m.id });
    expect(await receiptsOf(m.id)).toEqual([
      { agentId: "rcpt-a", state: "answered", at: expect.any(Number) },
    ]);
  });

  test("ambiguous can still become seen; nothing moves a refused receipt", async () => {
    const m = await send({ to: "broadcast" });
    await report(a, "rcpt-a", [{ messageId: m.id, state: "ambiguous" }]);
    await report(b, "rcpt-b", [{ messageId: m.id, state: "delivered" }]);
    await t.call(b, "POST", `/v1/messages/${m.id}/refuse`, { agentId: "rcpt-b", reason: "no room" });
    await report(a, "rcpt-a", [{ messageId: m.id, state: "seen" }]);
    await report(b, "rcpt-b", [{ messageId: m.id, state: "seen" }]);
    await t.call(b, "POST", "/v1/messages", { to: "rcpt-sender", body: "late", replyTo: m.id });
    const byAgent = Object.fromEntries(
      (await receiptsOf(m.id)).map((r: { agentId: string; state: string }) => [r.agentId, r.state]),
    );
    expect(byAgent).toEqual({ "rcpt-a": "seen", "rcpt-b": "refused" });
  });

  test("an agent reports only for itself and only on messages addressed to it; bad states are a 400", async () => {
    const m = await send({ to: "rcpt-a" });
    expect((await report(b, "rcpt-a", [{ messageId: m.id, state: "seen" }])).status).toBe(403);
    const notMine = await report(b, "rcpt-b", [
      { messageId: m.id, state: "seen" },
      { messageId: 999_999, state: "seen" },
    ]);
    expect(notMine.status).toBe(200);
    expect(notMine.body).toEqual({
      ok: true,
      moved: [],
      ignored: [
        { messageId: m.id, reason: "not addressed to 'rcpt-b'" },
        { messageId: 999_999, reason: "no such message" },
      ],
    });
    for (const state of ["answered", "refused", "queued", "read"]) {
      const bad = await report(a, "rcpt-a", [{ messageId: m.id, state }]);
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain("receipts");
    }
    expect((await report(a, "rcpt-a", [])).status).toBe(400);
    const tooMany = Array.from({ length: 201 }, () => ({ messageId: m.id, state: "seen" }));
    expect((await report(a, "rcpt-a", tooMany)).status).toBe(400);
    expect(await receiptsOf(m.id)).toEqual([{ agentId: "rcpt-a", state: "queued", at: expect.any(Number) }]);
  });

  test("each receipt that moves is pushed to the sender's bus session, and only to it", async () => {
    const senderBus = await t.openBus({ agentId: "rcpt-sender", token: sender });
    const otherBus = await t.openBus({ agentId: "rcpt-b", token: b });
    const m = await send({ to: "rcpt-a" });
    await report(a, "rcpt-a", [{ messageId: m.id, state: "delivered" }]);
    await report(a, "rcpt-a", [{ messageId: m.id, state: "delivered" }]);
    await t.call(a, "POST", `/v1/messages/${m.id}/refuse`, { agentId: "rcpt-a", reason: "gone" });
    const refused = await senderBus.waitForFrame(
      (f) =>
        f.type === "receipt" && (f as unknown as { receipt: { state: string } }).receipt.state === "refused",
    );
    expect(refused).toEqual({
      type: "receipt",
      messageId: m.id,
      receipt: { agentId: "rcpt-a", state: "refused", reason: "gone", at: expect.any(Number) },
    });
    const states = senderBus.frames
      .filter((f) => f.type === "receipt")
      .map((f) => (f as unknown as { receipt: { state: string } }).receipt.state);
    expect(states).toEqual(["delivered", "refused"]);
    expect(otherBus.frames.some((f) => f.type === "receipt")).toBe(false);
  });

  test("an answer to a message not yet reported seen tells the sender seen, then answered", async () => {
    const senderBus = await t.openBus({ agentId: "rcpt-sender", token: sender });
    const m = await send({ to: "rcpt-a" });
    await report(a, "rcpt-a", [{ messageId: m.id, state: "delivered" }]);
    await t.call(a, "POST", "/v1/messages", { to: "rcpt-sender", body: "quick answer", replyTo: m.id });
    await senderBus.waitForFrame(
      (f) =>
        f.type === "receipt" && (f as unknown as { receipt: { state: string } }).receipt.state === "answered",
    );
    const states = senderBus.frames
      .filter((f) => f.type === "receipt" && (f as unknown as { messageId: number }).messageId === m.id)
      .map((f) => (f as unknown as { receipt: { state: string } }).receipt.state);
    expect(states).toEqual(["delivered", "seen", "answered"]);
    // A runner's late `seen` is no step back.
    const late = await report(a, "rcpt-a", [{ messageId: m.id, state: "seen" }]);
    expect(late.body.moved).toEqual([]);
  });
});

describe("urgent messages and mid-turn receipts", () => {
  test("an urgent message says so when read, listed and pushed; a normal one carries no urgent field", async () => {
    const bus = await t.openBus({ agentId: "rcpt-b", token: b });
    const urgent = await send({ to: "rcpt-b", body: "stop now", urgent: true });
    const normal = await send({ to: "rcpt-b", body: "later" });
    expect((await t.call(b, "GET", `/v1/messages/${urgent.id}`)).body.urgent).toBe(true);
    expect((await t.call(b, "GET", `/v1/messages/${normal.id}`)).body).not.toHaveProperty("urgent");
    const unread = (await t.call(t.rootToken, "GET", "/v1/agents/rcpt-b/unread")).body.messages as {
      id: number;
      urgent?: boolean;
    }[];
    expect(unread.find((m) => m.id === urgent.id)?.urgent).toBe(true);
    expect(unread.find((m) => m.id === normal.id)).not.toHaveProperty("urgent");
    const pushed = await bus.waitForFrame(
      (f) =>
        f.type === "message.new" && (f as unknown as { message: { id: number } }).message.id === urgent.id,
    );
    expect((pushed as unknown as { message: { urgent?: boolean } }).message.urgent).toBe(true);
    expect(
      (await t.call(sender, "POST", "/v1/messages", { to: "rcpt-b", body: "x", urgent: "yes" })).status,
    ).toBe(400);
  });

  test("a seen that comes after the reply already answered the message still records mid-turn", async () => {
    const m = await send({ to: "rcpt-a", urgent: true });
    await t.call(a, "POST", "/v1/messages", { to: "rcpt-sender", body: "quick answer", replyTo: m.id });
    const late = await report(a, "rcpt-a", [{ messageId: m.id, state: "seen", midTurn: true } as never]);
    expect(late.body.moved).toEqual([]);
    expect(await receiptsOf(m.id)).toEqual([
      { agentId: "rcpt-a", state: "answered", midTurn: true, at: expect.any(Number) },
    ]);
  });

  test("seen carries whether the model got it mid-turn, kept once answered; without it the receipt says nothing", async () => {
    const mid = await send({ to: "rcpt-a", urgent: true });
    const boundary = await send({ to: "rcpt-a" });
    const silent = await send({ to: "rcpt-a" });
    const res = await t.call(a, "POST", "/v1/agents/rcpt-a/receipts", {
      receipts: [
        { messageId: mid.id, state: "seen", midTurn: true },
        { messageId: boundary.id, state: "seen", midTurn: false },
        { messageId: silent.id, state: "seen" },
      ],
    });
    expect(res.body.moved.map((r: { midTurn?: boolean }) => r.midTurn)).toEqual([true, false, undefined]);
    expect(await receiptsOf(mid.id)).toEqual([
      { agentId: "rcpt-a", state: "seen", midTurn: true, at: expect.any(Number) },
    ]);
    expect((await receiptsOf(boundary.id))[0].midTurn).toBe(false);
    expect(await receiptsOf(silent.id)).toEqual([
      { agentId: "rcpt-a", state: "seen", at: expect.any(Number) },
    ]);
    const bus = await t.openBus({ agentId: "rcpt-sender", token: sender });
    await t.call(a, "POST", "/v1/messages", { to: "rcpt-sender", body: "on it", replyTo: mid.id });
    const answered = await bus.waitForFrame((f) => f.type === "receipt");
    expect((answered as unknown as { receipt: { midTurn?: boolean } }).receipt.midTurn).toBe(true);
    expect(await receiptsOf(mid.id)).toEqual([
      { agentId: "rcpt-a", state: "answered", midTurn: true, at: expect.any(Number) },
    ]);
  });
});
