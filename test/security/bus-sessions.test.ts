// Issue 9 item 14: one token cannot exhaust the relay's memory through the bus — sessions per agent are
// capped, a session that stops reading is closed once its backlog passes the cap (with a clear close code),
// and every dropped push is logged (rate-limited) instead of vanishing.
import { afterEach, describe, expect, test } from "bun:test";
import { BUS_CLOSE } from "../../src/protocol/index.ts";
import { capturedLogger } from "../chaos/support.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { openRawBus, type RawBus } from "../support/raw-bus.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";

let t: TestRelay | undefined;
const raws: RawBus[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) r.destroy();
  await t?.close();
  t = undefined;
});

const hello = (token: string, agentId: string, instanceId = `inst-${agentId}`) => ({
  type: "hello",
  role: "provider",
  token,
  agentId,
  componentId: `runner-${agentId}`,
  instanceId,
});

async function raw(url: string, frame: object): Promise<RawBus> {
  const bus = await openRawBus(url, frame);
  raws.push(bus);
  return bus;
}

describe("sessions per agent", () => {
  test("12 hellos with one token: 8 welcomed, 4 refused with rate_limited and close 4429; a closed one makes room", async () => {
    t = await startTestRelay();
    const token = await t.mintToken("greedy");
    const buses: RawBus[] = [];
    for (let i = 0; i < 12; i++) buses.push(await raw(t.url, hello(token, "greedy")));
    const welcomed = buses.filter((b) => b.frames[0]?.type === "welcome");
    const refused = buses.filter((b) => b.frames[0]?.type === "error");
    expect({ welcomed: welcomed.length, refused: refused.length }).toEqual({ welcomed: 8, refused: 4 });
    expect(refused[0]!.frames[0]).toMatchObject({ code: "rate_limited" });
    expect(String(refused[0]!.frames[0]!.message)).toContain("8 open bus sessions");
    expect(await Promise.all(refused.map((b) => b.closed))).toEqual(Array(4).fill(BUS_CLOSE.tooManySessions));
    // Another agent is not affected, and closing one of greedy's sessions lets the next hello in.
    expect((await raw(t.url, hello(await t.mintToken("other"), "other"))).frames[0]!.type).toBe("welcome");
    welcomed[0]!.destroy();
    await waitFor(
      async () => {
        const b = await raw(t!.url, hello(token, "greedy"));
        return b.frames[0]?.type === "welcome";
      },
      { what: "a ninth session once one closed" },
    );
  });

  test("a newer instance is not refused: its hello replaces the old instance's sessions", async () => {
    t = await startTestRelay();
    const token = await t.mintToken("restarts");
    for (let i = 0; i < 8; i++) await raw(t.url, hello(token, "restarts", "old"));
    const fresh = await raw(t.url, hello(token, "restarts", "new"));
    expect(fresh.frames[0]!.type).toBe("welcome");
  });
});

describe("sessions that do not drain", () => {
  test("2 paused sessions are closed with 4408 once their backlog passes the cap; 2 drops, 1 log line; a reading session gets all 40", async () => {
    const { logger, records } = capturedLogger();
    t = await startTestRelay({ logger, quotas: { sessionBufferBytes: 1024 * 1024 } });
    const paused = [
      await raw(t.url, hello(t.rootToken, "slow-1")),
      await raw(t.url, hello(t.rootToken, "slow-2")),
    ];
    for (const p of paused) p.pause();
    const reader = await t.openBus({ agentId: "fast" });
    const big = "x".repeat(200 * 1024);
    for (let i = 0; i < 40; i++) {
      const res = await t.call(t.rootToken, "POST", "/v1/messages", { to: "broadcast", body: `${i}:${big}` });
      expect(res.status).toBe(200);
    }
    // Both paused sessions are closed with 4408; the two drops make one log line (the window holds the second).
    for (const p of paused) p.resume();
    expect(await Promise.all(paused.map((p) => p.closed))).toEqual([
      BUS_CLOSE.slowReader,
      BUS_CLOSE.slowReader,
    ]);
    const dropLines = records.filter((r) => r.msg.startsWith("bus push dropped"));
    expect(dropLines).toHaveLength(1);
    expect(dropLines[0]).toMatchObject({ level: 40, agentId: "slow-1" });
    // The reading session got all 40, and is still open.
    await waitFor(() => reader.frames.filter((f) => f.type === "message.new").length === 40, {
      what: "40 messages on the reading session",
    });
    expect(reader.ws.readyState).toBe(WebSocket.OPEN);
  });

  test("a session that stays over the stall threshold is closed after the stall time, on the relay's clock", async () => {
    const clock = new ManualClock(Date.now());
    const { logger, records } = capturedLogger();
    t = await startTestRelay({
      clock,
      logger,
      quotas: { sessionBufferBytes: 64 * 1024 * 1024, sessionStallBytes: 256 * 1024, sessionStallMs: 30_000 },
    });
    const paused = await raw(t.url, hello(t.rootToken, "stuck"));
    paused.pause();
    const big = "y".repeat(512 * 1024);
    for (let i = 0; i < 16; i++)
      await t.call(t.rootToken, "POST", "/v1/messages", { to: "stuck", body: `${i}:${big}` });
    const stalls = () => records.filter((r) => r.msg.startsWith("bus session not draining")).length;
    await clock.advance(29_000);
    expect(stalls()).toBe(0);
    await clock.advance(1_000);
    expect(stalls()).toBe(1);
    paused.resume();
    expect(await paused.closed).toBe(BUS_CLOSE.slowReader);
  });
});
