// The message contract on every store: batch inserts (all or none, ids ascending), the inbox queries (unread,
// history, obligations), threads, attachment references and addressing.
import { expect, test } from "bun:test";
import type { NewMessage, Recipient } from "../../../../src/relay/store/types.ts";
import { forEachStore, T0 } from "./for-each-store.ts";

const message = (over: Partial<NewMessage> = {}): NewMessage => ({
  from: "alice",
  to: "bob",
  kind: "chat",
  body: "hi",
  payload: {},
  claimable: false,
  attachments: [],
  createdAt: T0,
  ...over,
});

const bob: Recipient = { agentId: "bob", targets: ["bob", "*", "tag:dev"] };

forEachStore((open) => {
  test("a batch is stored in order with ascending ids and read back as written", async () => {
    const s = await open();
    const stored = await s.messages.insertBatch([
      message({ subject: "s", payload: { z: 1, a: [2, { b: 3 }] }, urgent: true, replyTo: 7 }),
      message({ to: "label:ops", resolvedToAgent: "carol", body: "two" }),
    ]);
    expect(stored[1]!.id).toBeGreaterThan(stored[0]!.id);
    expect(await s.messages.get(stored[0]!.id)).toEqual(stored[0]!);
    expect(JSON.stringify((await s.messages.get(stored[0]!.id))!.payload)).toBe('{"z":1,"a":[2,{"b":3}]}');
    expect(await s.messages.get(stored[1]!.id)).toEqual(stored[1]!);
    expect(await s.messages.exists(stored[1]!.id)).toBe(true);
    expect(await s.messages.exists(999)).toBe(false);
    expect((await s.messages.recent(1)).map((m) => m.body)).toEqual(["two"]);
    expect((await s.messages.recent(5)).map((m) => m.id)).toEqual(stored.map((m) => m.id));
  });

  test("text comes back as sent: quotes, backslashes, braces, NULL, empty, emoji; a lone surrogate as U+FFFD", async () => {
    const s = await open();
    const texts = ['"quoted"', "back\\slash", "{a,b}", "NULL", "", "line\nbreak\ttab", "emoji 🎉 ü"];
    const stored = await s.messages.insertBatch(
      texts.map((body) => message({ body, subject: body, payload: { body }, to: body || "bob" })),
    );
    for (const [i, body] of texts.entries()) {
      expect(await s.messages.get(stored[i]!.id)).toMatchObject({ body, subject: body, payload: { body } });
    }
    const [lone] = await s.messages.insertBatch([message({ body: "a \ud800 b", payload: { x: "\ud800" } })]);
    expect(await s.messages.get(lone!.id)).toMatchObject({ body: "a \ufffd b", payload: { x: "\ud800" } });
  });

  test("a batch that fails stores none of its messages", async () => {
    const s = await open();
    const bad = message({ body: null as unknown as string });
    await expect(s.messages.insertBatch([message(), bad])).rejects.toThrow();
    expect(await s.messages.recent(10)).toEqual([]);
  });

  test("unread: addressed to the agent, not its own, not read, group messages only after its origin", async () => {
    const s = await open();
    const [old] = await s.messages.insertBatch([message({ to: "*", body: "before" })]);
    const ids = (
      await s.messages.insertBatch([
        message({ body: "direct" }),
        message({ to: "*", body: "broadcast" }),
        message({ to: "tag:dev", body: "tag" }),
        message({ to: "label:x", resolvedToAgent: "carol", body: "pinned elsewhere" }),
        message({ to: "label:x", resolvedToAgent: "bob", body: "pinned here" }),
        message({ from: "bob", to: "*", body: "own" }),
        message({ to: "dave", body: "other" }),
      ])
    ).map((m) => m.id);
    const r = { ...bob, originId: old!.id };
    expect((await s.messages.unread(r, 0, 50, T0)).map((m) => m.body)).toEqual([
      "direct",
      "broadcast",
      "tag",
      "pinned here",
    ]);
    await s.claims.markRead(ids[0]!, "bob", T0);
    expect((await s.messages.unread(r, 0, 2, T0)).map((m) => m.body)).toEqual(["broadcast", "tag"]);
    expect((await s.messages.unread(r, ids[2]!, 50, T0)).map((m) => m.body)).toEqual(["pinned here"]);
    expect((await s.messages.history(r, 0, 50)).map((m) => m.body)).toEqual([
      "direct",
      "broadcast",
      "tag",
      "pinned here",
    ]);
  });

  test("a claimable message is unread while unclaimed, claimed by the agent, or its claim lapsed", async () => {
    const s = await open();
    const [m] = await s.messages.insertBatch([message({ to: "*", claimable: true })]);
    const id = m!.id;
    expect(await s.messages.unread(bob, 0, 10, T0)).toHaveLength(1);
    await s.claims.claim(id, "carol", 1000, T0);
    expect(await s.messages.unread(bob, 0, 10, T0 + 10)).toHaveLength(0);
    expect(await s.messages.unread(bob, 0, 10, T0 + 1000)).toHaveLength(1);
    await s.claims.claim(id, "bob", 1000, T0 + 1000);
    expect(await s.messages.unread(bob, 0, 10, T0 + 1001)).toHaveLength(1);
    await s.claims.complete(id, "bob", T0 + 1002);
    expect(await s.messages.unread(bob, 0, 10, T0 + 1003)).toHaveLength(0);
  });

  test("reply obligations end with a reply; a claimable one is only its holder's", async () => {
    const s = await open();
    const [ask, job] = await s.messages.insertBatch([
      message({ payload: { replyRequired: true }, body: "ask" }),
      message({ to: "*", claimable: true, payload: { replyRequired: true }, body: "job" }),
    ]);
    expect((await s.messages.replyObligations(bob, 10)).map((m) => m.body)).toEqual(["ask"]);
    await s.claims.claim(job!.id, "bob", 1000, T0);
    expect((await s.messages.replyObligations(bob, 10)).map((m) => m.body)).toEqual(["ask", "job"]);
    await s.messages.insertBatch([message({ from: "bob", to: "alice", replyTo: ask!.id })]);
    expect((await s.messages.replyObligations(bob, 10)).map((m) => m.body)).toEqual(["job"]);
  });

  test("a thread is the first stored ancestor and every reply below it", async () => {
    const s = await open();
    const [root] = await s.messages.insertBatch([message({ body: "root" })]);
    const [reply] = await s.messages.insertBatch([
      message({ from: "bob", to: "alice", replyTo: root!.id, body: "r1" }),
    ]);
    await s.messages.insertBatch([
      message({ replyTo: reply!.id, body: "r2" }),
      message({ body: "unrelated" }),
      message({ replyTo: root!.id, body: "r1b" }),
    ]);
    const bodies = async (id: number, after = 0) =>
      (await s.messages.thread(id, after, 10)).map((m) => m.body);
    expect(await bodies(reply!.id)).toEqual(["root", "r1", "r2", "r1b"]);
    expect(await bodies(root!.id, root!.id)).toEqual(["r1", "r2", "r1b"]);
  });

  test("addressing answers existing ids only; referencing pages the messages that carry an attachment", async () => {
    const s = await open();
    const ref = { id: "att1", name: "a.txt", mimeType: "text/plain", size: 3 };
    await s.attachments.create(ref, new Uint8Array([1, 2, 3]), "alice", T0);
    const [a, b] = await s.messages.insertBatch([
      message({ attachments: [ref] }),
      message({ to: "label:x", resolvedToAgent: "carol", attachments: [ref, ref] }),
    ]);
    const map = await s.messages.addressing([a!.id, b!.id, 999]);
    expect([...map.keys()].sort()).toEqual([a!.id, b!.id]);
    expect(map.get(b!.id)).toEqual({ id: b!.id, from: "alice", to: "label:x", resolvedToAgent: "carol" });
    expect((await s.messages.referencing("att1", 0, 10)).map((m) => m.id)).toEqual([a!.id, b!.id]);
    expect((await s.messages.referencing("att1", a!.id, 10)).map((m) => m.id)).toEqual([b!.id]);
    expect((await s.messages.get(b!.id))?.attachments).toEqual([ref, ref]);
  });
});
