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
    expect((await t.call(sender, "GET", `/v1/messages/${m.id}`)).body.receipts).toBeUndefined();
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
