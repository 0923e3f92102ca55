import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ManualClock } from "../support/manual-clock.ts";
import { type BusFrame, startTestRelay, type TestBus, type TestRelay } from "../support/relay.ts";

let t: TestRelay;

beforeAll(async () => {
  t = await startTestRelay();
});
afterAll(() => t.close());

const send = async (body: Record<string, unknown>) =>
  (await t.call(t.rootToken, "POST", "/v1/messages", { body: "x", ...body })).body as { id: number };
const newIds = (bus: TestBus) =>
  bus.frames.filter((f) => f.type === "message.new").map((f) => (f.message as { id: number }).id);

/** Open a raw socket and send `first` as its first frame; answers the frames and the close code. */
async function rawSession(first: string): Promise<{ frames: BusFrame[]; code: number }> {
  const ws = new WebSocket(`${t.url.replace("http", "ws")}/v1/bus`);
  const frames: BusFrame[] = [];
  ws.addEventListener("message", (e) => frames.push(JSON.parse(String(e.data))));
  const code = new Promise<number>((r) => ws.addEventListener("close", (e) => r(e.code)));
  await new Promise((r) => ws.addEventListener("open", r, { once: true }));
  ws.send(first);
  return { frames, code: await code };
}

describe("bus hello", () => {
  test("hello with a valid runtime token for its own agent is welcomed with a session id and server time", async () => {
    const token = await t.mintToken("bus-ok");
    const bus = await t.openBus({ agentId: "bus-ok", token });
    expect(bus.frames[0]).toMatchObject({ type: "welcome" });
    expect(bus.frames[0]!.sessionId).toBeString();
    expect(bus.frames[0]!.serverTime).toBeNumber();
  });

  test("hello with a bad token is refused with an unauthorized error and close code 4401", async () => {
    const bus = await t.openBus({ agentId: "bus-bad", token: "garbage" });
    expect(bus.frames[0]).toMatchObject({ type: "error", code: "unauthorized" });
    expect(await bus.closed).toBe(4401);
    expect((await t.call(t.rootToken, "GET", "/v1/agents/bus-bad")).status).toBe(404);
  });

  test("hello with an expired token is refused with token_expired and 4401", async () => {
    const clock = new ManualClock();
    const other = await startTestRelay({ clock });
    try {
      const token = await other.mintToken("bus-exp", "provider-agent", 5);
      await clock.advance(6_000);
      const bus = await other.openBus({ agentId: "bus-exp", token });
      expect(bus.frames[0]).toMatchObject({ type: "error", code: "token_expired" });
      expect(await bus.closed).toBe(4401);
    } finally {
      await other.close();
    }
  });

  test("hello as another agent than the token's is refused with forbidden and 4403", async () => {
    const token = await t.mintToken("bus-me");
    const bus = await t.openBus({ agentId: "bus-someone-else", token });
    expect(bus.frames[0]).toMatchObject({ type: "error", code: "forbidden" });
    expect(await bus.closed).toBe(4403);
  });

  test("a first frame that is not JSON, not a valid frame, or not hello ends the session with 4400", async () => {
    for (const first of ["{nope", JSON.stringify({ type: "hello" }), JSON.stringify({ type: "heartbeat" })]) {
      const { frames, code } = await rawSession(first);
      expect(frames[0]).toMatchObject({ type: "error", code: "invalid_request" });
      expect(code).toBe(4400);
    }
  });

  test("a hello with a label, tag or capability that cannot be addressed is refused naming the field", async () => {
    for (const [field, value, path] of [
      ["label", "my label", "label"],
      ["tags", ["ok", "has space"], "tags.1"],
      ["capabilities", [""], "capabilities.0"],
    ] as const) {
      const id = `bus-addr-${field}`;
      const bus = await t.openBus({ agentId: id, [field]: value });
      expect(bus.frames[0]).toMatchObject({ type: "error", code: "invalid_request" });
      expect(String(bus.frames[0]!.message)).toContain(`${path}:`);
      expect(await bus.closed).toBe(4400);
      expect((await t.call(t.rootToken, "GET", `/v1/agents/${id}`)).status).toBe(404);
    }
  });

  test("agent ids that look like target forms are refused in hello and when minting tokens", async () => {
    for (const id of ["broadcast", "label:x", "tag:x", "cap:x"]) {
      const bus = await t.openBus({ agentId: id });
      expect(bus.frames[0]).toMatchObject({ type: "error", code: "invalid_request" });
      expect(String(bus.frames[0]!.message)).toContain("agentId:");
      const mint = await t.call(t.rootToken, "POST", "/v1/tokens", {
        agentId: id,
        profileId: "provider-agent",
      });
      expect(mint.status).toBe(400);
    }
    // Near misses are ordinary ids.
    expect((await t.openBus({ agentId: "broadcaster" })).frames[0]).toMatchObject({ type: "welcome" });
    expect((await t.openBus({ agentId: "x-label:y" })).frames[0]).toMatchObject({ type: "welcome" });
  });

  test("a connection that never says hello is closed after the hello deadline", async () => {
    const quick = await startTestRelay({ helloTimeoutMs: 100 });
    try {
      const ws = new WebSocket(`${quick.url.replace("http", "ws")}/v1/bus`);
      const frames: string[] = [];
      ws.addEventListener("message", (e) => frames.push(String(e.data)));
      const code = await new Promise<number>((r) => ws.addEventListener("close", (e) => r(e.code)));
      expect(code).toBe(4400);
      expect(frames[0]).toContain("hello");
    } finally {
      await quick.close();
    }
  });

  test("an invalid frame after hello is answered with an error and the session stays open", async () => {
    const bus = await t.openBus({ agentId: "bus-keep" });
    bus.send({ type: "status", agentStatus: "sleepy" });
    await bus.waitForFrame((f) => f.type === "error" && f.code === "invalid_request");
    bus.ws.send("not json");
    await bus.waitForFrame((f) => f.type === "error" && String(f.message).includes("JSON"));
    const m = await send({ to: "bus-keep" });
    await bus.waitForFrame((f) => f.type === "message.new" && (f.message as { id: number }).id === m.id);
  });
});

describe("message.new pushes", () => {
  test("reach every matching agent by id, label, tag, capability and broadcast, and no one else", async () => {
    const a = await t.openBus({ agentId: "push-a", label: "pa", tags: ["ta"], capabilities: ["ca"] });
    const a2 = await t.openBus({ agentId: "push-a", label: "pa", tags: ["ta"], capabilities: ["ca"] });
    const b = await t.openBus({
      agentId: "push-b",
      label: "pb",
      tags: ["tb", "shared"],
      capabilities: ["cb"],
    });
    const c = await t.openBus({ agentId: "push-c", tags: ["shared"] });
    const byId = await send({ to: "push-a" });
    const byLabel = await send({ to: "label:pb" });
    const byTag = await send({ to: "tag:shared" });
    const byCap = await send({ to: "cap:ca" });
    const claimable = await send({ to: "cap:cb", claimable: true });
    const fromA = await send({ to: "broadcast", from: "push-a" });
    const sentinel = await send({ to: "broadcast" });
    // Pushes on one socket arrive in order, so once the sentinel is in, nothing earlier is still on its way.
    for (const bus of [a, a2, b, c]) {
      await bus.waitForFrame(
        (f) => f.type === "message.new" && (f.message as { id: number }).id === sentinel.id,
      );
    }
    expect(newIds(a)).toEqual([byId.id, byCap.id, sentinel.id]);
    expect(newIds(a2)).toEqual([byId.id, byCap.id, sentinel.id]);
    expect(newIds(b)).toEqual([byLabel.id, byTag.id, claimable.id, fromA.id, sentinel.id]);
    expect(newIds(c)).toEqual([byTag.id, fromA.id, sentinel.id]);
  });

  test("a pushed message is the full stored message", async () => {
    const bus = await t.openBus({ agentId: "push-full" });
    const sent = (
      await t.call(t.rootToken, "POST", "/v1/messages", { to: "push-full", body: "hi", payload: { k: 1 } })
    ).body;
    const frame = await bus.waitForFrame((f) => f.type === "message.new");
    expect(frame.message).toEqual(sent);
  });
});
