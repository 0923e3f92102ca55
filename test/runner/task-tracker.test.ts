// TaskTracker against the real test relay: done after busy → idle, claims completed or released, retry on next idle.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RelayHttpClient } from "../../src/relay-client/index.ts";
import { TaskTracker } from "../../src/runner/task-tracker.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { captureLogger } from "../support/runner.ts";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const ROOT_TOKEN = "root-token-for-task-tracker-tests";

async function relayOn(dbPath: string, port = 0): Promise<TestRelay> {
  const t = await startTestRelay({ dbPath, rootToken: ROOT_TOKEN, port });
  let closed = false;
  const close = t.close;
  t.close = async () => {
    if (!closed) await close();
    closed = true;
  };
  cleanups.push(() => t.close());
  return t;
}

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), "task-tracker-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, "relay.db");
  const relay = await relayOn(dbPath);
  const agentId = "tt-agent";
  const http = new RelayHttpClient({ relayUrl: relay.url, token: await relay.mintToken(agentId) });
  const root = new RelayHttpClient({ relayUrl: relay.url, token: relay.rootToken });
  cleanups.push(
    () => http.close(),
    () => root.close(),
  );
  const { logger, records } = captureLogger();
  const ended: number[] = [];
  const started: number[] = [];
  const tracker = new TaskTracker({
    agentId: () => agentId,
    relay: http,
    logger,
    onStart: (t) => started.push(t),
    onEnd: (t) => ended.push(t),
  });
  const newTask = async () => {
    const task = await root.createTask({ title: "t" });
    await root.setTaskStatus(task.id, { status: "in_progress", agentId });
    return task.id;
  };
  const status = async (id: number) => (await root.getTask(id)).status;
  return { relay, dbPath, agentId, http, root, tracker, records, ended, started, newTask, status };
}

describe("TaskTracker", () => {
  test("a task is marked done only once the provider was seen busy after its delivery, then idle", async () => {
    const s = await setup();
    const id = await s.newTask();
    s.tracker.track(id, 1, false, false);
    expect(s.started).toEqual([id]);
    await s.tracker.providerIdle();
    expect(await s.status(id), "idle without a turn since delivery").toBe("in_progress");
    s.tracker.providerBusy();
    await s.tracker.providerIdle();
    const task = await s.root.getTask(id);
    expect(task.status).toBe("done");
    expect(task.history.at(-1)).toMatchObject({
      status: "done",
      agentId: s.agentId,
      body: "runner observed provider completion",
    });
    expect(s.ended).toEqual([id]);
    expect(s.tracker.size).toBe(0);
  });

  test("a task delivered while the provider was mid-turn is done when that turn ends", async () => {
    const s = await setup();
    const id = await s.newTask();
    s.tracker.track(id, 1, false, true);
    await s.tracker.providerIdle();
    expect(await s.status(id)).toBe("done");
  });

  test("the claim held for a task is completed with it, and released if the runner stops first", async () => {
    const s = await setup();
    const [a, b] = [await s.newTask(), await s.newTask()];
    const ma = await s.root.sendMessage({ from: "x", to: s.agentId, body: "a", claimable: true });
    const mb = await s.root.sendMessage({ from: "x", to: s.agentId, body: "b", claimable: true });
    for (const m of [ma, mb]) expect((await s.http.claim(m.id, s.agentId)).ok).toBe(true);
    s.tracker.track(a, ma.id, true, false);
    s.tracker.providerBusy();
    // b arrives during the turn that handles a: it has had no turn of its own yet.
    s.tracker.track(b, mb.id, true, false);
    expect(s.tracker.heldClaims().sort()).toEqual([ma.id, mb.id].sort());
    await s.tracker.providerIdle();
    expect((await s.root.getMessage(ma.id)).claimCompletedAt, "a's claim completed").toBeDefined();
    expect(await s.status(a)).toBe("done");
    expect(await s.status(b), "b saw no turn of its own").toBe("in_progress");
    expect(s.tracker.heldClaims()).toEqual([mb.id]);
    await s.tracker.releaseAll();
    expect((await s.root.getMessage(mb.id)).claimedBy, "released for someone else").toBeUndefined();
  });

  test("a done update that fails is retried on the next idle, without a new turn", async () => {
    const s = await setup();
    const id = await s.newTask();
    s.tracker.track(id, 1, false, false);
    s.tracker.providerBusy();
    const port = s.relay.relay.port;
    await s.relay.close();
    await s.tracker.providerIdle();
    expect(s.tracker.has(id), "still tracked after the failed update").toBe(true);
    expect(
      s.records.filter((r) => r.msg === "could not mark task done; will retry on next idle"),
    ).toHaveLength(1);
    await relayOn(s.dbPath, port);
    await s.tracker.providerIdle();
    expect(await s.status(id)).toBe("done");
    expect(s.tracker.has(id)).toBe(false);
  });

  test("a task someone else finished (409) or deleted (404) is dropped without retrying", async () => {
    const s = await setup();
    const closed = await s.newTask();
    await s.root.setTaskStatus(closed, { status: "cancelled", agentId: "someone" });
    s.tracker.track(closed, 1, false, true);
    s.tracker.track(987_654, 2, false, true);
    await s.tracker.providerIdle();
    expect(s.tracker.size).toBe(0);
    expect(s.ended.sort()).toEqual([closed, 987_654].sort());
    expect(await s.status(closed), "the other agent's outcome stands").toBe("cancelled");
  });

  test("held task claims are renewed; one that lapsed and went to another agent is dropped", async () => {
    const clock = new ManualClock();
    const relay = await startTestRelay({ clock, claimTtlMs: 60_000 });
    cleanups.push(() => relay.close());
    const agentId = "tt-renew";
    const http = new RelayHttpClient({ relayUrl: relay.url, token: await relay.mintToken(agentId) });
    const root = new RelayHttpClient({ relayUrl: relay.url, token: relay.rootToken });
    cleanups.push(
      () => http.close(),
      () => root.close(),
    );
    const { logger, records } = captureLogger();
    const tracker = new TaskTracker({ agentId: () => agentId, relay: http, logger });
    const task = await root.createTask({ title: "long" });
    const m = await root.sendMessage({ from: "x", to: agentId, body: "long job", claimable: true });
    const claimed = await http.claim(m.id, agentId);
    expect(claimed.ok).toBe(true);
    tracker.track(task.id, m.id, true, false);

    await clock.advance(50_000);
    await tracker.renewClaims();
    const renewed = await root.getMessage(m.id);
    expect(renewed.claimExpiresAt, "expiry moved to renewal time + 60 s").toBe(clock.now() + 60_000);

    await clock.advance(61_000);
    expect((await root.claim(m.id, "someone-else")).ok, "the lapsed claim is free").toBe(true);
    await tracker.renewClaims();
    expect(tracker.heldClaims()).toEqual([]);
    expect(records.filter((r) => r.msg === "task claim lost to another agent")).toHaveLength(1);
    await tracker.releaseAll();
    expect((await root.getMessage(m.id)).claimedBy, "the other agent's claim is untouched").toBe(
      "someone-else",
    );
  });
});
