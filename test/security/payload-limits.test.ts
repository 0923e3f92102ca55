// Issue 9 items 15 and 16: JSON depth is limited wherever user JSON comes in, one bad message never fails
// another sender's, and sizes are enforced on what is stored and pushed, not only on the bytes received.
import { afterEach, describe, expect, test } from "bun:test";
import { openStore } from "../../src/relay/store/index.ts";
import { MessageWriter } from "../../src/relay/store/message-writer.ts";
import type { NewMessage } from "../../src/relay/store/messages.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

/** A JSON text of `depth` nested arrays. */
const deepArray = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

let t: TestRelay | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe("JSON depth", () => {
  test("250 legit sends interleaved with 100k-deep payloads: 0 legit failures, every deep one a 400 naming the field", async () => {
    t = await startTestRelay();
    const relay = t;
    const send = (body: string) =>
      relay.fetchAs(relay.rootToken, "/v1/messages", { method: "POST", body }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { id?: number; error?: { message: string } },
      }));
    const deepBody = `{"to":"victim","body":"x","payload":{"nest":${deepArray(100_000)}}}`;
    // Interleaved and all in flight together, so deep and legit messages land in the same insert batches.
    const legit: Promise<{ status: number; body: { error?: { message: string } } }>[] = [];
    const deep: typeof legit = [];
    for (let i = 0; i < 250; i++) {
      legit.push(send(JSON.stringify({ to: "victim", body: `legit-${i}`, payload: { i } })));
      if (i % 5 === 0) deep.push(send(deepBody));
    }
    const [legitAnswers, deepAnswers] = await Promise.all([Promise.all(legit), Promise.all(deep)]);
    const figures = {
      legitFailed: legitAnswers.filter((a) => a.status !== 200).length,
      deepRefused400: deepAnswers.filter((a) => a.status === 400).length,
    };
    expect(figures).toEqual({ legitFailed: 0, deepRefused400: 50 });
    expect(deepAnswers[0]!.body.error!.message).toContain("payload.nest.0.0.0.0.0.0…");
    expect(deepAnswers[0]!.body.error!.message).toContain("more than 64 levels");
    const unread = await relay.call(relay.rootToken, "GET", "/v1/agents/victim/unread?limit=1000");
    expect(unread.body.messages).toHaveLength(250);
  });

  test("64 levels pass, 65 are refused; task metadata and command params are checked the same way", async () => {
    t = await startTestRelay();
    const nest = (depth: number) => JSON.parse(deepArray(depth)) as unknown;
    // The body object is level 1 and payload level 2, so a 62-deep array inside payload.a reaches 64.
    const ok = await t.call(t.rootToken, "POST", "/v1/messages", {
      to: "a",
      body: "",
      payload: { a: nest(62) },
    });
    expect(ok.status).toBe(200);
    const over = await t.call(t.rootToken, "POST", "/v1/messages", {
      to: "a",
      body: "",
      payload: { a: nest(63) },
    });
    expect(over.status).toBe(400);
    expect(over.body.error.message).toContain("payload.a.0");

    const task = await t.call(t.rootToken, "POST", "/v1/tasks", { title: "t" });
    const meta = await t.call(t.rootToken, "POST", `/v1/tasks/${task.body.id}/status`, {
      status: "in_progress",
      agentId: "a",
      metadata: { deep: nest(1000) },
    });
    expect(meta.status).toBe(400);
    expect(meta.body.error.message).toContain("metadata.deep.0");
    const cmd = await t.call(t.rootToken, "POST", "/v1/commands", {
      target: "a",
      type: "agent.injectContext",
      params: { deep: nest(1000) },
    });
    expect(cmd.status).toBe(400);
    expect(cmd.body.error.message).toContain("params.deep.0");
  });

  test("a bus frame nested too deep earns an error frame naming the field; the session stays open", async () => {
    t = await startTestRelay();
    const bus = await t.openBus({ agentId: "deep-bus" });
    expect(bus.frames[0]!.type).toBe("welcome");
    bus.ws.send(`{"type":"heartbeat","meta":{"x":${deepArray(100_000)}}}`);
    const error = await bus.waitForFrame((f) => f.type === "error");
    expect(String(error.message)).toContain("meta.x.0.0");
    expect(bus.ws.readyState).toBe(WebSocket.OPEN);
    // And the agent's stored meta was not touched by it.
    const agent = await t.call(t.rootToken, "GET", "/v1/agents/deep-bus");
    expect(agent.body.meta).toEqual({});
  });
});

describe("the shared insert transaction", () => {
  const message = (i: number, extra: Partial<NewMessage> = {}): NewMessage => ({
    from: "s",
    to: "r",
    kind: "chat",
    body: `m-${i}`,
    payload: {},
    claimable: false,
    attachments: [],
    createdAt: i,
    ...extra,
  });

  test("a message that cannot be serialised or stored fails alone; the rest of its batch is committed", async () => {
    const store = openStore(":memory:");
    try {
      const pushed: number[] = [];
      const writer = new MessageWriter(store.messages, (b) => pushed.push(...b.map((m) => m.id)));
      // All queued in one turn, so they share one batch: a payload JSON.stringify throws on (a BigInt),
      // and a row SQLite refuses (a NULL sender).
      const results = await Promise.allSettled([
        writer.insert(message(1)),
        writer.insert(message(2, { payload: { n: 1n } })),
        writer.insert(message(3)),
        writer.insert(message(4, { from: null as unknown as string })),
        writer.insert(message(5)),
      ]);
      expect(results.map((r) => r.status)).toEqual([
        "fulfilled",
        "rejected",
        "fulfilled",
        "rejected",
        "fulfilled",
      ]);
      const bodies = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.body] : []));
      expect(bodies).toEqual(["m-1", "m-3", "m-5"]);
      expect(pushed).toHaveLength(3);
      for (const r of results)
        if (r.status === "fulfilled") expect((await store.messages.get(r.value.id))?.body).toBe(r.value.body);
    } finally {
      store.close();
    }
  });
});

describe("size of what is stored and pushed", () => {
  test("a 3.8 MiB body of 1e20s (16.8 MiB written out) is refused with 413; the recipient's session stays open", async () => {
    t = await startTestRelay();
    const bus = await t.openBus({ agentId: "numbers", tags: ["all"] });
    const count = Math.floor((3.8 * 1024 * 1024) / 5);
    const raw = `{"to":"broadcast","body":"","payload":{"n":[${Array(count).fill("1e20").join(",")}]}}`;
    expect(raw.length).toBeLessThan(4 * 1024 * 1024);
    const res = await t.fetchAs(t.rootToken, "/v1/messages", { method: "POST", body: raw });
    expect(res.status).toBe(413);
    const answer = (await res.json()) as {
      error: { message: string; details: { storedBytes: number; limitBytes: number } };
    };
    expect(answer.error.message).toContain("as stored and sent");
    expect(answer.error.details.storedBytes).toBeGreaterThan(16 * 1024 * 1024);
    // Nothing was stored, and the next message still reaches the session.
    const next = await t.call(t.rootToken, "POST", "/v1/messages", { to: "broadcast", body: "after" });
    expect(next.status).toBe(200);
    const frame = await bus.waitForFrame((f) => f.type === "message.new");
    expect((frame.message as { body: string }).body).toBe("after");
    expect(bus.ws.readyState).toBe(WebSocket.OPEN);
  });

  test("a message that fits the frame cap as written out is stored, pushed and read back whole", async () => {
    t = await startTestRelay();
    const bus = await t.openBus({ agentId: "numbers" });
    const n = Array(150_000).fill(1e20);
    const res = await t.call(t.rootToken, "POST", "/v1/messages", {
      to: "numbers",
      body: "",
      payload: { n },
    });
    expect(res.status).toBe(200);
    const frame = await bus.waitForFrame((f) => f.type === "message.new");
    expect((frame.message as { payload: { n: number[] } }).payload.n).toHaveLength(150_000);
  });

  test("command params that write out over the frame cap are refused with 413, and nothing is pushed", async () => {
    t = await startTestRelay();
    const count = Math.floor((3.8 * 1024 * 1024) / 5);
    const raw = `{"target":"c","type":"agent.injectContext","params":{"n":[${Array(count).fill("1e20").join(",")}]}}`;
    const res = await t.fetchAs(t.rootToken, "/v1/commands", { method: "POST", body: raw });
    expect(res.status).toBe(413);
  });
});
