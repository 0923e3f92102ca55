// The runner end to end: real relay, real command provider (echo-agent fixture) in real tmux.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { receivedInputs } from "../fixtures/echo-agent-record.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { startTestRunner, stopTestRunners } from "../support/runner.ts";
import { waitFor } from "../support/wait-for.ts";

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  await relay.close();
});
afterEach(stopTestRunners);

/** A relay of its own, for tests that must not see the shared relay's broadcasts. */
async function ownRelay(): Promise<TestRelay> {
  const t = await startTestRelay();
  own.push(t);
  return t;
}
const own: TestRelay[] = [];
afterEach(async () => {
  await stopTestRunners(); // runners deregister through their relay: stop them first
  for (const t of own.splice(0)) await t.close();
});

async function send(body: Record<string, unknown>, via: TestRelay = relay): Promise<number> {
  const res = await via.call(via.rootToken, "POST", "/v1/messages", { from: "sender", ...body });
  if (res.status !== 200) throw new Error(`send failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as number;
}

/** How often each id occurs in `got`. */
function counts(got: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const id of got) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}

describe("runner delivery (real relay, command provider in tmux)", () => {
  test("a direct, label, tag, capability and broadcast message each arrive once; a message for someone else does not", async () => {
    const r = await startTestRunner({
      relay,
      agentId: "addr-a",
      label: "alpha",
      tags: ["blue"],
      capabilities: ["review"],
    });
    const other = await send({ to: "someone-else", body: "not for addr-a" });
    const otherLabel = await send({ to: "label:beta", body: "not for alpha" });
    const otherTag = await send({ to: "tag:green", body: "not for blue" });
    const mine = [
      await send({ to: "addr-a", body: "direct" }),
      await send({ to: "label:alpha", body: "by label" }),
      await send({ to: "tag:blue", body: "by tag" }),
      await send({ to: "cap:review", body: "by capability" }),
      await send({ to: "broadcast", body: "to everyone" }),
    ];
    await waitFor(() => mine.every((id) => r.messageIds().includes(id)), {
      what: "all 5 matching messages in the fixture",
    });
    // A later marker: once it is in, anything wrongly routed earlier would be in too (delivery is in id order).
    const marker = await send({ to: "addr-a", body: "marker" });
    await waitFor(() => r.messageIds().includes(marker), { what: "the marker message" });
    const got = r.messageIds();
    const c = counts(got);
    for (const id of mine) expect(c.get(id), `message ${id}: sent 1, received ${c.get(id)}`).toBe(1);
    for (const id of [other, otherLabel, otherTag])
      expect(c.get(id), `message ${id} for another agent was delivered`).toBeUndefined();
    expect(got.length, `received ${got.length} deliveries for 6 matching messages`).toBe(6);
  });

  test("a message linked to a task assigned to another agent is still delivered, and the task is left alone", async () => {
    const r = await startTestRunner({ relay, agentId: "task-outsider" });
    const task = await relay.call(relay.rootToken, "POST", "/v1/tasks", {
      title: "theirs",
      assignee: "task-owner",
    });
    const id = await send({
      to: "task-outsider",
      body: "about their task",
      payload: { taskId: task.body.id },
    });
    const marker = await send({ to: "task-outsider", body: "marker" });
    await waitFor(() => r.messageIds().includes(marker), {
      what: "the marker after the task-linked message",
    });
    expect(r.messageIds()).toContain(id);
    const after = await relay.call(relay.rootToken, "GET", `/v1/tasks/${task.body.id}`);
    expect(after.body).toMatchObject({ status: "open", assignee: "task-owner" });
  });

  test("a claimable message raced by three runners is delivered exactly once", async () => {
    const runners = await Promise.all(
      ["race-1", "race-2", "race-3"].map((agentId) => startTestRunner({ relay, agentId, tags: ["pool"] })),
    );
    const one = await send({ to: "tag:pool", body: "only one of you", claimable: true });
    await waitFor(() => runners.some((r) => r.messageIds().includes(one)), { what: "the claimable message" });
    // The batch: 20 claimable messages, each must land in exactly one provider.
    const batch: number[] = [];
    for (let i = 0; i < 20; i++)
      batch.push(await send({ to: "tag:pool", body: `job ${i}`, claimable: true }));
    const all = () => runners.flatMap((r) => r.messageIds());
    await waitFor(() => batch.every((id) => all().includes(id)), {
      timeoutMs: 20_000,
      what: "every claimable message delivered somewhere",
    });
    // A broadcast marker each runner must see: after it, no late duplicate can be pending in any runner.
    const marker = await send({ to: "tag:pool", body: "marker" });
    await waitFor(() => runners.every((r) => r.messageIds().includes(marker)), {
      what: "the marker everywhere",
    });
    const c = counts(all());
    const dupes = [one, ...batch].filter((id) => c.get(id) !== 1);
    expect(
      dupes,
      `21 claimable messages over 3 runners: ${dupes.length} not delivered exactly once (${dupes.map((id) => `${id}×${c.get(id) ?? 0}`).join(", ")})`,
    ).toEqual([]);
    for (const id of [one, ...batch]) {
      const m = (await relay.call(relay.rootToken, "GET", `/v1/messages/${id}`)).body;
      const holder = runners.find((r) => r.messageIds().includes(id))!;
      expect(m.claimedBy, `message ${id} claimed by the runner that delivered it`).toBe(
        holder.runner.config.agentId,
      );
    }
  }, 45_000);

  test("at start the initial prompt goes first, then unread messages sent while the runner was away, once each", async () => {
    const relay = await ownRelay();
    const early = [
      await send({ to: "boot-a", body: "sent before start 1" }, relay),
      await send({ to: "boot-a", body: "sent before start 2" }, relay),
    ];
    const r = await startTestRunner({
      relay,
      agentId: "boot-a",
      extraArgs: ["--prompt", "you are a test agent"],
    });
    await waitFor(() => early.every((id) => r.messageIds().includes(id)), { what: "the 2 early messages" });
    const inputs = receivedInputs(r.recordFile);
    expect(inputs[0]!.pasted, "the initial prompt is the first input").toBe("you are a test agent");
    expect(r.messageIds(), "2 sent before start, 2 received once").toEqual(early);
  });

  test("an attachment is downloaded into the agent's cache and the delivery names its local path", async () => {
    const relay = await ownRelay();
    const bytes = new TextEncoder().encode("col1,col2\n1,2\n");
    const up = await relay.fetchAs(relay.rootToken, "/v1/attachments?name=../../data.csv&mimeType=text/csv", {
      method: "POST",
      body: bytes,
      headers: { "content-type": "application/octet-stream" },
    });
    expect(up.status).toBe(200);
    const ref = (await up.json()) as { id: string };
    const r = await startTestRunner({ relay, agentId: "files-a" });
    const id = await send({ to: "files-a", body: "see attached", attachmentIds: [ref.id] }, relay);
    await waitFor(() => r.messageIds().includes(id), { what: "the message with an attachment" });
    const text = receivedInputs(r.recordFile)[0]!.pasted;
    const path = /Attachments:\r- (\S+) \(/.exec(text)?.[1];
    expect(path, `attachment line in: ${text}`).toBeDefined();
    // The name "../../data.csv" cannot climb out: the file sits directly in the agent's cache folder.
    expect(dirname(path!)).toBe(join(r.dir, "cache", "attachments", "files-a"));
    expect(basename(path!).endsWith("data.csv")).toBe(true);
    expect(new Uint8Array(readFileSync(path!))).toEqual(bytes);
    expect(statSync(path!).mode & 0o777).toBe(0o600);
  });
});
