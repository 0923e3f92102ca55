// DeliveryQueue against the real test relay, delivering to an in-process recording adapter; time on a ManualClock.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Message } from "../../src/protocol/index.ts";
import { HttpError } from "../../src/relay-client/errors.ts";
import { RelayHttpClient } from "../../src/relay-client/index.ts";
import { DeliveryGate } from "../../src/runner/delivery-gate.ts";
import { DeliveryQueue, type DeliveryQueueOptions } from "../../src/runner/delivery-queue.ts";
import { CONFIRM_DEADLINE_MS } from "../../src/runner/delivery-records.ts";
import { TaskTracker } from "../../src/runner/task-tracker.ts";
import { WorkTracker } from "../../src/runner/work-tracker.ts";
import { RunnerError } from "../../src/util/errors.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { gate, RecordingAdapter } from "../support/recording-adapter.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { captureLogger } from "../support/runner.ts";
import { waitFor } from "../support/wait-for.ts";

let relay: TestRelay;
let root: RelayHttpClient;
beforeAll(async () => {
  relay = await startTestRelay();
  root = new RelayHttpClient({ relayUrl: relay.url, token: relay.rootToken });
});
afterAll(async () => {
  await root.close();
  await relay.close();
});

let agentCounter = 0;

type QueueRelay = DeliveryQueueOptions["relay"];

/** The real client, counting calls per method; `fail` makes the next calls of a method throw first. */
function countingRelay(http: RelayHttpClient) {
  const calls: Record<string, number> = {};
  const fail: Record<string, number> = {};
  const wrap =
    <K extends keyof QueueRelay>(name: K) =>
    // biome-ignore lint/suspicious/noExplicitAny: forwards any method's arguments unchanged.
    async (...args: any[]) => {
      calls[name] = (calls[name] ?? 0) + 1;
      if ((fail[name] ?? 0) > 0) {
        fail[name]!--;
        throw new Error(`${name} failed (injected)`);
      }
      // biome-ignore lint/suspicious/noExplicitAny: see above.
      return (http[name] as any).apply(http, args);
    };
  const api = {
    claimMany: wrap("claimMany"),
    releaseClaim: wrap("releaseClaim"),
    completeClaims: wrap("completeClaims"),
    markReadMany: wrap("markReadMany"),
    setTaskStatus: wrap("setTaskStatus"),
    refuseMessage: wrap("refuseMessage"),
  } as QueueRelay;
  return { api, calls, fail };
}

async function setup(
  options: {
    canDeliver?: boolean;
    attachments?: DeliveryQueueOptions["attachments"]["fetchAll"];
    confirmsDelivery?: boolean;
    takesMidTurnWhileHolding?: boolean;
  } = {},
) {
  const agentId = `dq-${++agentCounter}`;
  const http = new RelayHttpClient({ relayUrl: relay.url, token: await relay.mintToken(agentId) });
  const counted = countingRelay(http);
  const adapter = new RecordingAdapter();
  const clock = new ManualClock();
  const { logger, records } = captureLogger();
  const work = new WorkTracker({ clock });
  const tracker = new TaskTracker({ agentId: () => agentId, relay: http, logger });
  const timeline: string[] = [];
  // The supervisor's readiness, as the queue sees it.
  const flags = { isRunning: options.canDeliver ?? true };
  const queue = new DeliveryQueue({
    agent: { agentId, tags: ["dq"], capabilities: [] },
    relay: counted.api,
    adapter: {
      deliver: (items, signal) => adapter.deliver(items, signal),
      confirmsDelivery: options.confirmsDelivery ?? true,
      takesMidTurnWhileHolding: options.takesMidTurnWhileHolding,
    },
    attachments: { fetchAll: options.attachments ?? (async () => []) },
    gate: new DeliveryGate(clock, () => work.has("provider-turn", "turn")),
    provider: flags,
    work,
    tasks: tracker,
    status: { timelineEvent: (event) => timeline.push(event) },
    clock,
    logger,
  });
  const tasks = () => tracker.held();
  const send = (body: string, extra: Partial<Parameters<RelayHttpClient["sendMessage"]>[0]> = {}) =>
    root.sendMessage({ from: "sender", to: agentId, body, ...extra });
  const unread = async () => (await http.getUnread(agentId)).map((m) => m.id);
  return {
    agentId,
    http,
    calls: counted.calls,
    fail: counted.fail,
    api: counted.api,
    adapter,
    clock,
    records,
    work,
    timeline,
    tasks,
    flags,
    queue,
    send,
    unread,
  };
}

const logged = (records: { msg: string }[], msg: string) => records.filter((r) => r.msg === msg).length;

describe("DeliveryQueue", () => {
  test("queued messages are delivered in id order in one drain, then marked read", async () => {
    const s = await setup({ canDeliver: false });
    const [m1, m2, m3] = [await s.send("one"), await s.send("two"), await s.send("three")];
    for (const m of [m3, m1, m2]) expect(s.queue.offer(m!)).toBe(true);
    await s.queue.idle();
    expect(s.adapter.deliveries, "nothing delivered while the provider cannot take input").toEqual([]);
    s.flags.isRunning = true;
    s.queue.kick();
    await s.queue.idle();
    expect(s.adapter.deliveries, "3 offered out of order, 1 batch in id order").toEqual([
      [m1!.id, m2!.id, m3!.id],
    ]);
    expect(await s.unread(), "all 3 marked read").toEqual([]);
  });

  test("the same message offered by the bus and by the unread bootstrap is delivered once, even while its paste is in flight", async () => {
    const s = await setup();
    const m = await s.send("once please");
    const hold = gate();
    s.adapter.gate = hold.promise;
    expect(s.queue.offer(m)).toBe(true);
    expect(s.queue.offer(m), "a second offer while queued").toBe(false);
    await Promise.resolve();
    // The batch has taken the message and is pasting it; the relay still lists it unread.
    const again = await s.http.getUnread(s.agentId);
    expect(again.map((x) => x.id)).toEqual([m.id]);
    expect(s.queue.offer(again[0] as Message), "an unread re-read while in flight").toBe(false);
    hold.open();
    await s.queue.idle();
    expect(s.queue.offer(m), "an offer after delivery").toBe(false);
    s.queue.kick();
    await s.queue.idle();
    expect(s.adapter.deliveries, "offered 4 times, delivered once").toEqual([[m.id]]);
  });

  test("messages for another agent or sent by the agent itself are refused", async () => {
    const s = await setup();
    const other = await root.sendMessage({ from: "sender", to: "someone-else", body: "no" });
    const own = await root.sendMessage({ from: s.agentId, to: "tag:dq", body: "my own broadcast" });
    expect(s.queue.offer(other)).toBe(false);
    expect(s.queue.offer(own)).toBe(false);
    await s.queue.idle();
    expect(s.adapter.attempts).toBe(0);
  });

  test("a claimable message another agent holds is skipped, not delivered", async () => {
    const s = await setup();
    const m = await s.send("job", { claimable: true });
    expect((await root.claim(m.id, "someone-else")).ok).toBe(true);
    s.queue.offer(m);
    await s.queue.idle();
    expect(s.adapter.attempts, "claim lost: 0 deliveries").toBe(0);
    expect(s.queue.stateOf(m.id), "its record ended with the lost claim").toBeUndefined();
    expect(s.work.size, "no message work left behind").toBe(0);
    expect(s.queue.pendingCount).toBe(0);
  });

  test("a batch claims, completes and marks read with one relay call each, skipping what another agent holds", async () => {
    const s = await setup({ canDeliver: false });
    const jobs = [];
    for (let i = 0; i < 4; i++) jobs.push(await s.send(`job ${i}`, { claimable: true }));
    const note = await s.send("plain note");
    expect((await root.claim(jobs[1]!.id, "someone-else")).ok).toBe(true);
    for (const m of [note, ...jobs]) s.queue.offer(m);
    await s.queue.idle();
    s.flags.isRunning = true;
    s.queue.kick();
    await s.queue.idle();
    const mine = [jobs[0]!.id, jobs[2]!.id, jobs[3]!.id];
    expect(s.adapter.deliveries, "the held one skipped, the rest in id order").toEqual([[...mine, note.id]]);
    expect(s.calls).toEqual({ claimMany: 1, completeClaims: 1, markReadMany: 1 });
    for (const id of mine) {
      const m = await root.getMessage(id);
      expect({ id, claimedBy: m.claimedBy, completed: m.claimCompletedAt !== undefined }).toEqual({
        id,
        claimedBy: s.agentId,
        completed: true,
      });
    }
    expect((await root.getMessage(jobs[1]!.id)).claimedBy).toBe("someone-else");
    expect(await s.unread()).toEqual([]);
  });

  test("a failed claim call requeues the whole batch and retries it; nothing is delivered twice", async () => {
    const s = await setup();
    const job = await s.send("job", { claimable: true });
    s.fail.claimMany = 1;
    s.queue.offer(job);
    await s.queue.idle();
    expect(s.adapter.attempts).toBe(0);
    expect(s.queue.pendingCount).toBe(1);
    await s.clock.advance(500);
    await s.queue.idle();
    expect(s.adapter.deliveries).toEqual([[job.id]]);
    expect((await root.getMessage(job.id)).claimCompletedAt).toBeDefined();
  });

  test("a delivered batch whose read mark failed is settled when the relay lists it unread again, not re-delivered", async () => {
    const s = await setup({ canDeliver: false });
    const job = await s.send("job", { claimable: true });
    const note = await s.send("note");
    s.fail.markReadMany = 1;
    s.queue.offer(job);
    s.queue.offer(note);
    await s.queue.idle();
    s.flags.isRunning = true;
    s.queue.kick();
    await s.queue.idle();
    expect(s.adapter.deliveries).toEqual([[job.id, note.id]]);
    expect(logged(s.records, "could not mark delivered messages read; will retry")).toBe(1);
    const listed = await s.http.getUnread(s.agentId);
    expect(
      listed.map((m) => m.id),
      "the read marks did not land",
    ).toEqual([note.id]);
    // The claim was completed before the read mark, so the claimable one is already settled for everyone.
    expect((await root.getMessage(job.id)).claimCompletedAt).toBeDefined();
    for (const m of listed) expect(s.queue.offer(m), "an unread re-read does not deliver again").toBe(false);
    await waitFor(() => logged(s.records, "read marks recovered") === 1, { what: "the retried read mark" });
    expect(await s.unread()).toEqual([]);
    expect(s.adapter.deliveries).toHaveLength(1);
  });

  test("a failed delivery releases its claims, requeues the messages and retries after 0.5 s, then 1 s; the failure is logged once", async () => {
    const s = await setup();
    const job = await s.send("claimable job", { claimable: true });
    const note = await s.send("plain note");
    s.adapter.failNext = 2;
    s.queue.offer(job);
    s.queue.offer(note);
    await s.queue.idle();
    expect(s.adapter.attempts).toBe(1);
    expect((await root.getMessage(job.id)).claimedBy, "claim released after the failure").toBeUndefined();
    expect(s.queue.pendingCount, "both messages back in the queue").toBe(2);
    expect(s.clock.nextDelay()).toBe(500);

    await s.clock.advance(499);
    await s.queue.idle();
    expect(s.adapter.attempts, "no retry before 500 ms").toBe(1);
    await s.clock.advance(1);
    await s.queue.idle();
    expect(s.adapter.attempts, "second try at 500 ms").toBe(2);
    expect(s.clock.nextDelay(), "backoff doubles").toBe(1_000);
    // An offer while the retry timer runs does not bypass the backoff.
    s.queue.kick();
    await s.queue.idle();
    expect(s.adapter.attempts).toBe(2);

    await s.clock.advance(1_000);
    await s.queue.idle();
    expect(s.adapter.deliveries, "third try delivers both, in id order").toEqual([[job.id, note.id]]);
    expect(logged(s.records, "delivery failed; will retry"), "2 failures, 1 log line").toBe(1);
    expect(logged(s.records, "delivery recovered")).toBe(1);
    const after = await root.getMessage(job.id);
    expect(after.claimedBy).toBe(s.agentId);
    expect(after.claimCompletedAt, "a plain claimable message's claim is completed").toBeDefined();
    expect(await s.unread()).toEqual([]);
  });

  test("a task-linked message sets its task in_progress before delivery and keeps its claim for the task tracker", async () => {
    const s = await setup();
    const task = await root.createTask({ title: "linked" });
    const m = await s.send("do it", { claimable: true, payload: { taskId: task.id } });
    s.queue.offer(m);
    await s.queue.idle();
    expect(s.adapter.deliveries).toEqual([[m.id]]);
    expect((await root.getTask(task.id)).status).toBe("in_progress");
    expect(s.tasks()).toEqual([{ taskId: task.id, messageId: m.id, claimHeld: true }]);
    const after = await root.getMessage(m.id);
    expect(after.claimedBy).toBe(s.agentId);
    expect(after.claimCompletedAt, "the claim stays open until the task is done").toBeUndefined();
  });

  test("an urgent message may enter a running turn unless it is linked to a task other than the agent's current one", async () => {
    const s = await setup();
    const [a, b] = [await root.createTask({ title: "A" }), await root.createTask({ title: "B" })];
    const deliver = async (body: string, extra: Parameters<typeof s.send>[1] = {}) => {
      s.queue.offer(await s.send(body, extra));
      await s.queue.idle();
      return s.adapter.deliveredItems.at(-1)?.[0]?.midTurn;
    };
    expect(await deliver("normal")).toBeUndefined();
    expect(await deliver("urgent, no task held", { urgent: true })).toBe(true);
    expect(
      await deliver("urgent start of A", { urgent: true, payload: { taskId: a.id } }),
      "no task yet",
    ).toBe(true);
    expect(s.tasks().at(-1)?.taskId).toBe(a.id);
    expect(await deliver("urgent about A", { urgent: true, payload: { taskId: a.id } })).toBe(true);
    expect(await deliver("urgent chat during A", { urgent: true })).toBe(true);
    expect(await deliver("normal about A", { payload: { taskId: a.id } })).toBeUndefined();
    expect(
      await deliver("urgent about B", { urgent: true, payload: { taskId: b.id } }),
      "B ≠ A",
    ).toBeUndefined();
  });

  test("an urgent message passes a delivery the adapter holds until the turn's end; a normal one and another task's wait", async () => {
    const s = await setup({ takesMidTurnWhileHolding: true });
    const [a, b] = [await root.createTask({ title: "A" }), await root.createTask({ title: "B" })];
    s.queue.offer(await s.send("task A", { payload: { taskId: a.id } }));
    await s.queue.idle();
    const held = gate();
    s.adapter.gate = held.promise;
    const normal = await s.send("normal, held until the turn ends");
    s.queue.offer(normal);
    await waitFor(() => s.adapter.attempts === 2, { what: "the held delivery" });
    s.adapter.gate = undefined;
    const later = await s.send("normal, after it");
    const otherTask = await s.send("urgent about B", { urgent: true, payload: { taskId: b.id } });
    const urgent = await s.send("urgent", { urgent: true });
    for (const m of [later, otherTask, urgent]) s.queue.offer(m);
    await waitFor(() => s.adapter.deliveries.some((d) => d.includes(urgent.id)), {
      what: "the urgent delivery",
    });
    expect(s.adapter.deliveries.slice(1), "only the urgent one went past").toEqual([[urgent.id]]);
    expect(s.adapter.deliveredItems.at(-1)?.[0]?.midTurn).toBe(true);
    held.open();
    await s.queue.idle();
    expect(s.adapter.deliveries.slice(1)).toEqual([[urgent.id], [normal.id], [later.id, otherTask.id]]);
  });

  test("without an adapter that takes mid-turn items meanwhile, an urgent message waits behind the held delivery", async () => {
    const s = await setup();
    const held = gate();
    s.adapter.gate = held.promise;
    const normal = await s.send("normal");
    s.queue.offer(normal);
    await waitFor(() => s.adapter.attempts === 1, { what: "the held delivery" });
    s.adapter.gate = undefined;
    const urgent = await s.send("urgent", { urgent: true });
    s.queue.offer(urgent);
    held.open();
    await s.queue.idle();
    expect(s.adapter.deliveries).toEqual([[normal.id], [urgent.id]]);
  });

  test("a stopped queue takes no more messages and starts no retry", async () => {
    const s = await setup();
    s.adapter.failNext = 1;
    s.queue.offer(await s.send("first"));
    await s.queue.idle();
    s.queue.stop();
    expect(s.clock.timerCount, "retry timer cancelled").toBe(0);
    expect(s.queue.offer(await s.send("second"))).toBe(false);
    await s.clock.advance(60_000);
    await s.queue.idle();
    expect(s.adapter.attempts).toBe(1);
  });

  test("a message whose task is unknown, cancelled or done is refused alone, with its reason visible to its sender; the rest flow", async () => {
    const s = await setup({ canDeliver: false });
    const cancelled = await root.createTask({ title: "cancelled before delivery" });
    const done = await root.createTask({ title: "already done" });
    const live = await root.createTask({ title: "live" });
    const first = await s.send("before");
    const unknown = await s.send("no such task", { payload: { taskId: 987_654 } });
    const onCancelled = await s.send("cancelled", { claimable: true, payload: { taskId: cancelled.id } });
    const onDone = await s.send("done", { payload: { taskId: done.id } });
    const onLive = await s.send("live", { payload: { taskId: live.id } });
    const last = await s.send("after");
    await root.setTaskStatus(cancelled.id, { status: "cancelled", agentId: "sender" });
    await root.setTaskStatus(done.id, { status: "done", agentId: "sender" });
    for (const m of [first, unknown, onCancelled, onDone, onLive, last]) s.queue.offer(m);
    s.flags.isRunning = true;
    s.queue.kick();
    await s.queue.idle();
    expect(s.adapter.deliveries, "the legit messages, in one batch, without retry").toEqual([
      [first.id, onLive.id, last.id],
    ]);
    expect(s.clock.nextDelay(), "no retry scheduled: only the confirmation deadlines").toBe(
      CONFIRM_DEADLINE_MS,
    );
    expect(await s.unread(), "nothing left in the inbox, refused ones included").toEqual([]);
    const receipt = async (id: number) =>
      (await relay.call(relay.rootToken, "GET", `/v1/messages/${id}`)).body.receipts;
    expect(await receipt(unknown.id)).toEqual([
      expect.objectContaining({
        agentId: s.agentId,
        state: "refused",
        reason: expect.stringContaining("987654"),
      }),
    ]);
    expect((await receipt(onCancelled.id))[0].reason).toContain("cancelled");
    expect((await receipt(onDone.id))[0].reason).toContain("done");
    expect((await receipt(onLive.id)).map((r: { state: string }) => r.state)).not.toContain("refused");
    expect((await root.getMessage(onCancelled.id)).claimedBy, "its claim was given back").toBeUndefined();
    // Listed again (a restart, an unread re-read): still not delivered.
    expect(s.queue.offer(unknown)).toBe(false);
  });

  test("a task this agent may not update (403) does not refuse its message: it is delivered, the task left alone", async () => {
    const s = await setup();
    const task = await root.createTask({ title: "someone else's" });
    s.api.setTaskStatus = async () => {
      throw new HttpError(403, "forbidden", "not your task", `POST /v1/tasks/${task.id}/status`);
    };
    const m = await s.send("work on it", { claimable: true, payload: { taskId: task.id } });
    s.queue.offer(m);
    await s.queue.idle();
    expect(s.adapter.deliveries).toEqual([[m.id]]);
    expect(s.tasks(), "not tracked").toEqual([]);
    expect(s.calls.refuseMessage).toBeUndefined();
    expect(
      (await root.getMessage(m.id)).claimCompletedAt,
      "settled like a plain claimable message",
    ).toBeDefined();
    expect((await root.getTask(task.id)).status).toBe("open");
  });

  test("an attachment that cannot be fetched for good refuses its message alone; a transient failure retries the batch", async () => {
    let transient = 1;
    const s = await setup({
      attachments: async (refs) => {
        if (refs[0]?.id === "poison")
          throw new RunnerError("DELIVERY_FAILED", "attachment x is over the cap");
        if (refs[0]?.id === "flaky" && transient-- > 0) throw new Error("socket hang up");
        return [];
      },
    });
    // Each names one attachment (not stored at the relay: the cache stand-in above decides its fate).
    const withAttachment = (m: Message, id: string): Message => ({
      ...m,
      attachments: [{ id, name: `${id}.txt`, mimeType: "text/plain", size: 1 }],
    });
    const poison = withAttachment(await s.send("poison"), "poison");
    const flaky = withAttachment(await s.send("flaky"), "flaky");
    s.queue.offer(poison);
    s.queue.offer(flaky);
    await s.queue.idle();
    expect(s.adapter.deliveries).toEqual([]);
    await s.clock.advance(500);
    await s.queue.idle();
    expect(s.adapter.deliveries).toEqual([[flaky.id]]);
    expect(s.calls.refuseMessage).toBe(1);
    expect(await s.unread()).toEqual([]);
  });

  test("messages written to a provider that then exited unconfirmed are delivered again to the next session, once; confirmed ones are not", async () => {
    const s = await setup();
    const seen = await s.send("seen by the model");
    s.queue.offer(seen);
    await s.queue.idle();
    s.queue.confirmed(seen.id);
    const lost = await s.send("written into a dying session");
    s.queue.offer(lost);
    await s.queue.idle();
    // A delivery under way when the provider exits answers `written` afterwards: it goes to the next session too.
    const hold = gate();
    s.adapter.gate = hold.promise;
    const inFlight = await s.send("in flight at the exit");
    s.queue.offer(inFlight);
    await waitFor(() => s.adapter.attempts === 3, { what: "the third delivery to be under way" });
    s.flags.isRunning = false;
    expect(s.queue.providerExited()).toEqual([lost.id]);
    hold.open();
    s.adapter.gate = undefined;
    await s.queue.idle();
    expect(s.queue.pendingCount, "both wait for the next provider session").toBe(2);
    expect(s.queue.stateOf(seen.id)).toBe("confirmed");
    expect(
      [lost.id, inFlight.id].map((id) => s.queue.stateOf(id)),
      "both queued again",
    ).toEqual(["queued", "queued"]);
    s.flags.isRunning = true;
    s.queue.kick();
    await s.queue.idle();
    expect(s.adapter.deliveries).toEqual([[seen.id], [lost.id], [inFlight.id], [lost.id, inFlight.id]]);
    expect(
      [lost.id, inFlight.id].map((id) => s.queue.stateOf(id)),
      "written to the new session",
    ).toEqual(["written", "written"]);
    expect(await s.unread()).toEqual([]);
    // Confirmed by the new session: another exit re-delivers nothing.
    s.queue.confirmed(lost.id);
    s.queue.confirmed(inFlight.id);
    expect(s.queue.providerExited()).toEqual([]);
  });

  test("a written message the provider never confirms is reported ambiguous after 30 s, once, and not re-sent; a late confirmation clears it", async () => {
    const s = await setup();
    const m = await s.send("never confirmed");
    s.queue.offer(m);
    await s.queue.idle();
    expect(s.queue.stateOf(m.id)).toBe("written");
    await s.clock.advance(CONFIRM_DEADLINE_MS - 1);
    expect(s.queue.ambiguous).toEqual([]);
    await s.clock.advance(1);
    expect(s.queue.stateOf(m.id)).toBe("ambiguous");
    expect(s.queue.ambiguous).toEqual([m.id]);
    expect(s.timeline).toEqual(["delivery-ambiguous"]);
    expect(logged(s.records, "delivery not confirmed by the provider; reported ambiguous, not re-sent")).toBe(
      1,
    );
    expect(s.queue.providerExited(), "ambiguous is final: an exit re-delivers nothing").toEqual([]);
    expect(s.queue.offer(m), "nor does an unread re-read").toBe(false);
    await s.queue.idle();
    expect(s.adapter.deliveries).toEqual([[m.id]]);
    s.queue.confirmed(m.id);
    expect(s.queue.ambiguous).toEqual([]);
    expect(s.queue.stateOf(m.id)).toBe("confirmed");
  });

  test("with a provider that cannot confirm (a terminal command), written is final: nothing is re-delivered after an exit", async () => {
    const s = await setup({ confirmsDelivery: false });
    const m = await s.send("written");
    s.queue.offer(m);
    await s.queue.idle();
    expect(s.queue.providerExited()).toEqual([]);
    s.queue.kick();
    await s.queue.idle();
    expect(s.adapter.deliveries).toEqual([[m.id]]);
  });
});
