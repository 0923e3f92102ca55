// Two relay replicas on one PostgreSQL database: a message stored through one reaches bus sessions and runners on the
// other, once each, in id order. PostgreSQL only (its own throwaway cluster), whatever RELAY_TEST_STORE says.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { type RunnerHandle, startRunnerWith } from "../../bench/support/null-runner.ts";
import { startPostgres, type TestPostgres } from "../support/postgres.ts";
import { RecordingAdapter } from "../support/recording-adapter.ts";
import { type BusFrame, startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";

let pg: TestPostgres;
let a: TestRelay;
let b: TestRelay;
const runners: RunnerHandle<RecordingAdapter>[] = [];

beforeAll(async () => {
  pg = await startPostgres();
  const databaseUrl = await pg.createDatabase("replicas");
  a = await startTestRelay({ databaseUrl });
  b = await startTestRelay({ databaseUrl, rootToken: a.rootToken });
});
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop();
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await pg?.stop();
});

const send = async (via: TestRelay, to: string, body: string, claimable = false) => {
  const sent = await via.call(via.rootToken, "POST", "/v1/messages", { from: "tester", to, body, claimable });
  expect(sent.status).toBe(200);
  return sent.body.id as number;
};
const newIds = (frames: BusFrame[]) =>
  frames.filter((f) => f.type === "message.new").map((f) => (f.message as { id: number }).id);

test("a message POSTed to relay A reaches a bus session on relay B, once", async () => {
  const bus = await b.openBus({ agentId: "cross-1", token: await a.mintToken("cross-1") });
  expect(bus.frames[0]?.type).toBe("welcome");
  const id = await send(a, "cross-1", "over there");
  const frame = await bus.waitForFrame((f) => f.type === "message.new");
  expect(frame.message).toMatchObject({ id, to: "cross-1", body: "over there" });
  // Later wake-ups (the fallback read, its own next commit) must not push it again.
  await send(b, "cross-1", "and here");
  await waitFor(() => newIds(bus.frames).length === 2, { what: "the second message" });
  expect(newIds(bus.frames)).toEqual([id, id + 1]);
});

async function startRunner(on: TestRelay, agentId: string, tags: string[] = []) {
  const runner = await startRunnerWith(new RecordingAdapter(), {
    relayUrl: on.url,
    token: await a.mintToken(agentId),
    agentId,
    tags,
  });
  runners.push(runner);
  return runner;
}

test("a runner connected to relay B gets a message POSTed to relay A, delivered once", async () => {
  const { adapter } = await startRunner(b, "cross-runner");
  await waitFor(
    async () => (await a.call(a.rootToken, "GET", "/v1/agents/cross-runner")).body?.status === "idle",
    { what: "the runner registered through B, seen from A" },
  );
  const id = await send(a, "cross-runner", "hello from A");
  await waitFor(() => adapter.deliveries.flat().includes(id), { what: "the message delivered on B" });
  const second = await send(a, "cross-runner", "and again");
  await waitFor(() => adapter.deliveries.flat().includes(second), { what: "the second message delivered" });
  expect(adapter.deliveries.flat().filter((m) => m === id)).toHaveLength(1);
});

test("100 messages POSTed to A at once reach B's session all, once each, in id order", async () => {
  const bus = await b.openBus({ agentId: "cross-100", token: await a.mintToken("cross-100") });
  const ids = await Promise.all(Array.from({ length: 100 }, (_, i) => send(a, "cross-100", `m${i}`)));
  await waitFor(() => newIds(bus.frames).length >= 100, { what: "100 messages on B" });
  expect(newIds(bus.frames)).toEqual([...ids].sort((x, y) => x - y));
});

test("messages written through both relays at once reach each relay's sessions once, in id order", async () => {
  const onA = await a.openBus({ agentId: "both-a", token: await a.mintToken("both-a") });
  const onB = await b.openBus({ agentId: "both-b", token: await a.mintToken("both-b") });
  const sends = Array.from({ length: 60 }, (_, i) => [
    send(i % 2 ? a : b, "both-a", `to a ${i}`),
    send(i % 2 ? b : a, "both-b", `to b ${i}`),
  ]).flat();
  const ids = await Promise.all(sends);
  const toA = ids.filter((_, i) => i % 2 === 0).sort((x, y) => x - y);
  const toB = ids.filter((_, i) => i % 2 === 1).sort((x, y) => x - y);
  await waitFor(() => newIds(onA.frames).length >= 60 && newIds(onB.frames).length >= 60, {
    what: "60 messages on each relay",
  });
  expect(newIds(onA.frames)).toEqual(toA);
  expect(newIds(onB.frames)).toEqual(toB);
});

test("claimable messages raced by three runners spread over both relays are each delivered exactly once", async () => {
  const pool = await Promise.all([
    startRunner(a, "race-a1", ["pool"]),
    startRunner(a, "race-a2", ["pool"]),
    startRunner(b, "race-b1", ["pool"]),
  ]);
  const delivered = () => pool.flatMap((r) => r.adapter.deliveries.flat());
  const jobs: number[] = [];
  for (let i = 0; i < 20; i++) jobs.push(await send(i % 2 ? a : b, "tag:pool", `job ${i}`, true));
  await waitFor(() => jobs.every((id) => delivered().includes(id)), {
    timeoutMs: 20_000,
    what: "every job delivered somewhere",
  });
  // A broadcast each runner must see: each runner's queue is ordered, so after it no late duplicate is pending.
  const marker = await send(a, "tag:pool", "marker");
  await waitFor(() => pool.every((r) => r.adapter.deliveries.flat().includes(marker)), {
    what: "the marker on every runner",
  });
  const twice = jobs.filter((id) => delivered().filter((d) => d === id).length !== 1);
  expect(twice).toEqual([]);
}, 45_000);

test("a command created through relay A reaches its agent's session on relay B, once", async () => {
  const bus = await b.openBus({ agentId: "cmd-on-b", token: await a.mintToken("cmd-on-b") });
  const created = await a.call(a.rootToken, "POST", "/v1/commands", {
    target: "cmd-on-b",
    type: "agent.compact",
  });
  expect(created.status).toBe(200);
  const frame = await bus.waitForFrame((f) => f.type === "command");
  expect(frame.command).toEqual(created.body);
  // A second command is the marker: the first was not pushed again before it.
  const next = await a.call(a.rootToken, "POST", "/v1/commands", {
    target: "cmd-on-b",
    type: "agent.compact",
  });
  await bus.waitForFrame((f) => f.type === "command" && (f.command as { id: string }).id === next.body.id);
  expect(bus.frames.filter((f) => f.type === "command").map((f) => (f.command as { id: string }).id)).toEqual(
    [created.body.id, next.body.id],
  );
});

test("a runner connected to relay B runs a command created through relay A", async () => {
  await startRunner(b, "cmd-runner");
  const created = await a.call(a.rootToken, "POST", "/v1/commands", {
    target: "cmd-runner",
    type: "agent.restart",
  });
  expect(created.status).toBe(200);
  const settled = await waitFor(
    async () => {
      const c = (await a.call(a.rootToken, "GET", `/v1/commands/${created.body.id}`)).body;
      return ["succeeded", "failed"].includes(c.status) && c;
    },
    { what: "the command run by the runner on B" },
  );
  expect(settled.status).toBe("succeeded");
  expect(runners[0]!.adapter.spawns).toHaveLength(2);
});

test("a token revoked through relay A is refused by relay B too", async () => {
  const token = await a.mintToken("revoked-on-a");
  const ask = () => b.call(token, "GET", "/v1/agents/revoked-on-a/unread");
  expect((await ask()).status).toBe(200);
  expect((await a.call(a.rootToken, "POST", "/v1/tokens/revoke", { agentId: "revoked-on-a" })).status).toBe(
    200,
  );
  await waitFor(async () => (await ask()).status === 401, { what: "B refusing the revoked token" });
  const bus = await b.openBus({ agentId: "revoked-on-a", token });
  expect(bus.frames[0]).toMatchObject({ type: "error", code: "unauthorized" });
});

test("receipts moved through relay A reach the sender's bus session on relay B, in order, once each", async () => {
  const sender = await b.openBus({ agentId: "rcpt-sender", token: await a.mintToken("rcpt-sender") });
  const recipient = await a.mintToken("rcpt-recipient");
  const sent = await b.call(b.rootToken, "POST", "/v1/messages", {
    from: "rcpt-sender",
    to: "rcpt-recipient",
    body: "q",
  });
  const id = sent.body.id as number;
  // What the recipient's runner reports through A, then its answer (a reply naming the message) through A.
  for (const state of ["delivered", "seen"]) {
    const reported = await a.call(recipient, "POST", "/v1/agents/rcpt-recipient/receipts", {
      receipts: [{ messageId: id, state }],
    });
    expect(reported.body.moved).toHaveLength(1);
  }
  const reply = { from: "rcpt-recipient", to: "rcpt-sender", body: "a", replyTo: id };
  expect((await a.call(recipient, "POST", "/v1/messages", reply)).status).toBe(200);
  const receipts = () =>
    sender.frames
      .filter((f) => f.type === "receipt" && f.messageId === id)
      .map((f) => f.receipt as { state: string });
  await waitFor(() => receipts().some((r) => r.state === "answered"), { what: "the answered receipt on B" });
  expect(receipts().map((r) => r.state)).toEqual(["delivered", "seen", "answered"]);
  expect(receipts()[0]).toMatchObject({ agentId: "rcpt-recipient" });
});

test("a refusal through relay A reaches the sender on relay B with its reason", async () => {
  const sender = await b.openBus({ agentId: "refuse-sender", token: await a.mintToken("refuse-sender") });
  const sent = await b.call(b.rootToken, "POST", "/v1/messages", {
    from: "refuse-sender",
    to: "refuser",
    body: "q",
  });
  const refusal = { agentId: "refuser", reason: "cannot" };
  expect((await a.call(a.rootToken, "POST", `/v1/messages/${sent.body.id}/refuse`, refusal)).status).toBe(
    200,
  );
  const frame = await sender.waitForFrame((f) => f.type === "receipt" && f.messageId === sent.body.id);
  expect(frame.receipt).toMatchObject({ agentId: "refuser", state: "refused", reason: "cannot" });
});
