// A relay on PostgreSQL end to end through HTTP and the bus: an agent registers, gets a message, claims it, and
// moves a task; a second relay on the same database sees the same state (the store is all the state there is).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startPostgres, type TestPostgres } from "../support/postgres.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

let pg: TestPostgres;
let t: TestRelay;
let other: TestRelay;

beforeAll(async () => {
  pg = await startPostgres();
  const databaseUrl = await pg.createDatabase("smoke");
  t = await startTestRelay({ databaseUrl });
  other = await startTestRelay({ databaseUrl });
});
afterAll(async () => {
  await t?.close();
  await other?.close();
  await pg?.stop();
});

test("a relay on PostgreSQL registers an agent, delivers, claims once and moves a task", async () => {
  const token = await t.mintToken("pg-agent");
  const bus = await t.openBus({ agentId: "pg-agent", token });
  expect(bus.frames[0]?.type).toBe("welcome");
  expect((await t.call(t.rootToken, "GET", "/v1/agents/pg-agent")).body).toMatchObject({ id: "pg-agent" });

  const sent = await t.call(t.rootToken, "POST", "/v1/messages", {
    to: "pg-agent",
    body: "hello",
    claimable: true,
  });
  expect(sent.status).toBe(200);
  const id = sent.body.id as number;
  await bus.waitForFrame((f) => f.type === "message.new" && (f.message as { id: number }).id === id);

  const claims = await Promise.all(
    ["pg-agent", "rival-1", "rival-2"].map((agentId) =>
      t.call(t.rootToken, "POST", `/v1/messages/${id}/claim`, { agentId }),
    ),
  );
  expect(claims.filter((c) => c.status === 200)).toHaveLength(1);

  const task = (await t.call(token, "POST", "/v1/tasks", { title: "ship it", assignee: "pg-agent" })).body;
  const moved = await t.call(token, "POST", `/v1/tasks/${task.id}/status`, {
    status: "in_progress",
    agentId: "pg-agent",
  });
  expect(moved.status).toBe(200);
  expect((await t.call(token, "GET", `/v1/tasks/${task.id}`)).body).toMatchObject({
    status: "in_progress",
    history: [{ status: "open" }, { status: "in_progress" }],
  });
});

test("a second relay on the same database reads the same messages, tasks and tokens", async () => {
  const message = (await other.call(other.rootToken, "GET", "/v1/messages/1")).body;
  expect(message).toMatchObject({ id: 1, body: "hello" });
  // Runtime tokens are signed with the database's secret, so one minted on the first relay works on the second.
  const token = await t.mintToken("pg-agent-2");
  expect((await other.call(token, "GET", "/v1/tasks/1")).body).toMatchObject({ title: "ship it" });
});
