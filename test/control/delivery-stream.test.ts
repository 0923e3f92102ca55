// The delivery stream over real HTTP: order, monitor presence, resume without loss or duplicates, inert capped lines.
import { afterEach, describe, expect, test } from "bun:test";
import { DeliveryStream } from "../../src/control/delivery-stream.ts";
import { type ControlEvent, MAX_MONITOR_LINE, toMonitorLine } from "../../src/control/index.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { waitFor } from "../support/wait-for.ts";
import { type Harness, StreamReader, startServer } from "./support.ts";

let h: Harness;
const readers: StreamReader[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) r.close();
  await h?.server.stop();
});

async function connect(lastEventId?: string): Promise<StreamReader> {
  const before = h.server.monitorCount;
  const r = await StreamReader.open(h, lastEventId);
  readers.push(r);
  await waitFor(() => h.server.monitorCount > before, { what: "the monitor to register" });
  return r;
}

describe("GET /v1/deliveries/stream", () => {
  test("with no reader, monitorConnected is false and publishDelivery is not accepted", () => {
    h = startServer();
    expect(h.server.monitorConnected).toBe(false);
    expect(h.server.publishDelivery({ messageId: 1, line: "hello" })).toEqual({
      accepted: false,
      monitors: 0,
    });
  });

  test("a connected reader gets every published line, in order, as SSE items with ids", async () => {
    h = startServer();
    const r = await connect();
    expect(h.server.monitorConnected).toBe(true);
    for (let i = 1; i <= 20; i++) {
      const result = h.server.publishDelivery({ messageId: i, line: `[relay message #${i}] hello ${i}` });
      expect(result).toMatchObject({ accepted: true, monitors: 1 });
    }
    await waitFor(() => r.events.length === 20, { what: "20 items" });
    expect(r.items.map((i) => i.messageId)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(r.items[0]?.line).toBe("[relay message #1] hello 1");
    expect(new Set(r.items.map((i) => i.id)).size).toBe(20);
  });

  test("connect and disconnect are reported, and monitorConnected follows the reader", async () => {
    h = startServer();
    const r = await connect();
    expect(h.controlEvents).toContainEqual({ type: "monitor.connected", clientId: "m1", monitors: 1 });
    r.close();
    await waitFor(() => !h.server.monitorConnected, { what: "the monitor to be seen gone" });
    expect(h.controlEvents).toContainEqual({ type: "monitor.disconnected", clientId: "m1", monitors: 0 });
    expect(h.server.publishDelivery({ messageId: 3, line: "x" }).accepted).toBe(false);
  });

  test("every connected reader gets each line", async () => {
    h = startServer();
    const a = await connect();
    const b = await connect();
    expect(h.server.publishDelivery({ messageId: 8, line: "both" })).toMatchObject({
      accepted: true,
      monitors: 2,
    });
    await waitFor(() => a.events.length === 1 && b.events.length === 1, { what: "both readers" });
  });

  test("a reader reconnecting with Last-Event-ID gets what came after, with no loss and no duplicate", async () => {
    h = startServer();
    const first = await connect();
    const keeper = await connect(); // keeps the stream "monitored" while the first reader is away
    for (let i = 1; i <= 3; i++) h.server.publishDelivery({ messageId: i, line: `m${i}` });
    await waitFor(() => first.events.length === 3, { what: "first three" });
    const resumeFrom = first.events[1]!.id!; // pretend item 3 was lost in flight
    first.close();
    await waitFor(() => h.server.monitorCount === 1, { what: "first reader gone" });
    for (let i = 4; i <= 5; i++) h.server.publishDelivery({ messageId: i, line: `m${i}` });

    const again = await connect(resumeFrom);
    h.server.publishDelivery({ messageId: 6, line: "m6" });
    await waitFor(() => again.events.length === 4, { what: "replay plus live item" });
    expect(again.items.map((i) => i.messageId)).toEqual([3, 4, 5, 6]);
    expect(h.controlEvents).toContainEqual(
      expect.objectContaining({ type: "monitor.connected", resumedAfter: resumeFrom }),
    );
    await waitFor(() => keeper.events.length === 6, { what: "keeper saw all" });
  });

  test("Last-Event-ID is also accepted as ?lastEventId= for scripts that cannot set headers", async () => {
    h = startServer();
    const r1 = await connect();
    h.server.publishDelivery({ messageId: 1, line: "one" });
    h.server.publishDelivery({ messageId: 2, line: "two" });
    await waitFor(() => r1.events.length === 2, { what: "two items" });
    const res = await h.call(`/v1/deliveries/stream?lastEventId=${encodeURIComponent(r1.events[0]!.id!)}`);
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes('"messageId":2')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).not.toContain('"messageId":1');
  });

  test("a Last-Event-ID from another server run or beyond the buffer is reported as a resume gap", async () => {
    h = startServer({ deliveryBufferSize: 2 });
    const r = await connect();
    for (let i = 1; i <= 4; i++) h.server.publishDelivery({ messageId: i, line: `m${i}` });
    await waitFor(() => r.events.length === 4, { what: "four items" });
    const stale = await connect(r.events[0]!.id!);
    await waitFor(() => stale.events.length === 2, { what: "the two still buffered" });
    expect(stale.items.map((i) => i.messageId)).toEqual([3, 4]);
    await connect("deadbeef-3");
    const gaps = h.controlEvents.filter((e) => e.type === "monitor.resume-gap");
    expect(gaps.map((g) => (g.type === "monitor.resume-gap" ? g.lastEventId : ""))).toEqual([
      r.events[0]!.id!,
      "deadbeef-3",
    ]);
  });

  test("lines are capped at 500 characters and carry no control characters", async () => {
    h = startServer();
    const r = await connect();
    const hostile = "evil\x1b[201~\x1b]0;title\x07 \r\nsecond line\ttab\x00nul\u2028sep";
    h.server.publishDelivery({ messageId: 1, line: hostile });
    h.server.publishDelivery({ messageId: 2, line: "x".repeat(5_000) });
    h.server.publishDelivery({ messageId: 3, line: `${"a".repeat(498)}😀tail` });
    await waitFor(() => r.events.length === 3, { what: "three items" });
    const [one, two, three] = r.items;
    expect(one!.line).toBe("evil second line tab␀nul sep");
    expect(two!.line).toHaveLength(MAX_MONITOR_LINE);
    expect(two!.line.endsWith("…")).toBe(true);
    expect(three!.line.length).toBeLessThanOrEqual(MAX_MONITOR_LINE);
    expect(three!.line).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    for (const item of r.items) expect(item.line).not.toMatch(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/);
    // The SSE framing itself: every received line is a field, a comment, or blank.
    for (const line of r.lines) expect(line).toMatch(/^(|id: .*|data: .*|retry: \d+|: .*)$/);
  });

  test("stop() ends connected streams", async () => {
    h = startServer();
    const r = await connect();
    await h.server.stop();
    await waitFor(() => r.ended, { what: "the stream to end" });
    expect(h.server.monitorConnected).toBe(false);
  });
});

describe("POST /v1/deliveries/:messageId/ack", () => {
  test("acking a recently streamed message raises monitor.acked; an unknown one is 404", async () => {
    h = startServer();
    await connect();
    h.server.publishDelivery({ messageId: 77, line: "hi" });
    const ok = await h.call("/v1/deliveries/77/ack", { method: "POST" });
    expect(ok.status).toBe(200);
    expect(h.controlEvents).toContainEqual({ type: "monitor.acked", messageId: 77 });
    expect((await h.call("/v1/deliveries/78/ack", { method: "POST" })).status).toBe(404);
    expect((await h.call("/v1/deliveries/abc/ack", { method: "POST" })).status).toBe(400);
  });
});

describe("toMonitorLine", () => {
  test("folds breaks, drops escape sequences and keeps short text unchanged", () => {
    expect(toMonitorLine("plain text")).toBe("plain text");
    expect(toMonitorLine("a\n\n\tb")).toBe("a b");
    expect(toMonitorLine("\x1b[31mred\x1b[0m")).toBe("red");
  });
});

describe("DeliveryStream (direct)", () => {
  const setup = (maxQueuedChunks = 1_000) => {
    const clock = new ManualClock();
    const events: ControlEvent[] = [];
    const stream = new DeliveryStream({
      clock,
      emit: (e) => events.push(e),
      keepAliveMs: 1_000,
      maxQueuedChunks,
    });
    return { clock, events, stream };
  };

  test("an idle stream gets a keep-alive comment every keepAliveMs, and none once the reader is gone", async () => {
    const { clock, stream } = setup();
    const ac = new AbortController();
    const reader = stream.open(undefined, ac.signal).body!.getReader();
    const text = async () => new TextDecoder().decode((await reader.read()).value);
    expect(await text()).toStartWith("retry: 1000\n: connected");
    await clock.advance(1_000);
    expect(await text()).toBe(": keep-alive\n\n");
    await clock.advance(1_000);
    expect(await text()).toBe(": keep-alive\n\n");
    ac.abort();
    expect(stream.monitors).toBe(0);
    expect(clock.timerCount).toBe(0);
  });

  test("a reader that stops reading is dropped once it falls too far behind", () => {
    const { stream, events } = setup(5);
    stream.open(undefined, new AbortController().signal); // never read
    const results = Array.from({ length: 10 }, (_, i) =>
      stream.publish({ messageId: i + 1, line: `m${i + 1}` }),
    );
    expect(results.some((r) => !r.accepted)).toBe(true);
    expect(stream.monitors).toBe(0);
    expect(events.at(-1)).toMatchObject({ type: "monitor.disconnected", monitors: 0 });
  });
});
