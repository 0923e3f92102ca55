import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

let t: TestRelay;

beforeAll(async () => {
  t = await startTestRelay();
  // "inbox-a" is registered (label, tag, capability); "inbox-b" is registered with other ones.
  await t.openBus({ agentId: "inbox-a", label: "alpha", tags: ["red"], capabilities: ["python"] });
  await t.openBus({ agentId: "inbox-b", label: "beta", tags: ["blue"], capabilities: ["go"] });
});
afterAll(() => t.close());

const send = async (body: Record<string, unknown>) =>
  (await t.call(t.rootToken, "POST", "/v1/messages", { body: "x", ...body })).body;
const unreadIds = async (agent: string, query = "") =>
  (
    (await t.call(t.rootToken, "GET", `/v1/agents/${agent}/unread${query}`)).body.messages as { id: number }[]
  ).map((m) => m.id);

describe("GET /v1/agents/:id/unread", () => {
  test("an agent's inbox holds what matches it by id, label, tag, capability and broadcast, and nothing else", async () => {
    const mine = [
      await send({ to: "inbox-a" }),
      await send({ to: "label:alpha" }),
      await send({ to: "tag:red" }),
      await send({ to: "cap:python" }),
      await send({ to: "broadcast" }),
    ].map((m) => m.id);
    const others = [
      await send({ to: "inbox-b" }),
      await send({ to: "tag:blue" }),
      await send({ to: "cap:go" }),
    ];
    const ids = await unreadIds("inbox-a");
    for (const id of mine) expect(ids).toContain(id);
    for (const m of others) expect(ids).not.toContain(m.id);
  });

  test("a label held by exactly one agent is resolved to it and pinned there", async () => {
    const m = await send({ to: "label:beta" });
    expect(m.resolvedToAgent).toBe("inbox-b");
    // A second agent taking the label later does not receive the pinned message.
    await t.openBus({ agentId: "inbox-c", label: "beta" });
    expect(await unreadIds("inbox-c")).not.toContain(m.id);
    expect(await unreadIds("inbox-b")).toContain(m.id);
    // With two holders the label is not resolved, and both receive it.
    const shared = await send({ to: "label:beta" });
    expect(shared.resolvedToAgent).toBeUndefined();
    expect(await unreadIds("inbox-c")).toContain(shared.id);
    expect(await unreadIds("inbox-b")).toContain(shared.id);
  });

  test("read messages and the agent's own messages are not unread", async () => {
    const m = await send({ to: "inbox-a" });
    const own = await send({ to: "broadcast", from: "inbox-a" });
    expect(await unreadIds("inbox-a")).not.toContain(own.id);
    await t.call(t.rootToken, "POST", `/v1/messages/${m.id}/read`, { agentId: "inbox-a" });
    expect(await unreadIds("inbox-a")).not.toContain(m.id);
  });

  test("afterId and limit page through the inbox in id order", async () => {
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push((await send({ to: "paged" })).id);
    expect(await unreadIds("paged", `?afterId=${sent[1]}&limit=2`)).toEqual([sent[2], sent[3]]);
  });

  test("an unregistered agent gets only direct and broadcast messages", async () => {
    const direct = await send({ to: "ghost" });
    const tagged = await send({ to: "tag:red" });
    const ids = await unreadIds("ghost");
    expect(ids).toContain(direct.id);
    expect(ids).not.toContain(tagged.id);
  });

  test("another agent's inbox is 403, a bad query is 400, a bad agent id is 400", async () => {
    const token = await t.mintToken("inbox-a");
    expect((await t.call(token, "GET", "/v1/agents/inbox-b/unread")).status).toBe(403);
    expect((await t.call(token, "GET", "/v1/agents/inbox-a/unread")).status).toBe(200);
    expect((await t.call(token, "GET", "/v1/agents/inbox-a/unread?limit=0")).status).toBe(400);
    expect((await t.call(t.rootToken, "GET", "/v1/agents/bad%20id/unread")).status).toBe(400);
  });
});

describe("GET /v1/agents/:id/reply-obligations", () => {
  test("a replyRequired message is an obligation until the recipient replies to it", async () => {
    const ask = await send({ to: "inbox-a", payload: { replyRequired: true } });
    const fyi = await send({ to: "inbox-a" });
    const obligations = async () =>
      (
        (await t.call(t.rootToken, "GET", "/v1/agents/inbox-a/reply-obligations")).body.messages as {
          id: number;
        }[]
      ).map((m) => m.id);
    expect(await obligations()).toContain(ask.id);
    expect(await obligations()).not.toContain(fyi.id);
    // A reply from someone else does not discharge it.
    await send({ to: "root", from: "inbox-b", replyTo: ask.id });
    expect(await obligations()).toContain(ask.id);
    await send({ to: "root", from: "inbox-a", replyTo: ask.id });
    expect(await obligations()).not.toContain(ask.id);
  });

  test("a claimable obligation belongs only to the agent holding its claim", async () => {
    const ask = await send({ to: "broadcast", claimable: true, payload: { replyRequired: true } });
    const ids = async (agent: string) =>
      (
        (await t.call(t.rootToken, "GET", `/v1/agents/${agent}/reply-obligations`)).body.messages as {
          id: number;
        }[]
      ).map((m) => m.id);
    expect(await ids("inbox-a")).not.toContain(ask.id);
    await t.call(t.rootToken, "POST", `/v1/messages/${ask.id}/claim`, { agentId: "inbox-b" });
    expect(await ids("inbox-b")).toContain(ask.id);
    expect(await ids("inbox-a")).not.toContain(ask.id);
  });

  test("another agent's obligations are 403", async () => {
    const token = await t.mintToken("inbox-a");
    expect((await t.call(token, "GET", "/v1/agents/inbox-b/reply-obligations")).status).toBe(403);
  });
});
