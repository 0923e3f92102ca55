import { afterEach, describe, expect, test } from "bun:test";
import { LIMITS } from "../../src/protocol/index.ts";
import { RelayBusClient, type TransportState } from "../../src/relay-client/bus-client.ts";
import { waitFor } from "../support/wait-for.ts";
import { captureLogger } from "./capture-logger.ts";
import { HELLO, message, scriptedBus } from "./scripted-bus.ts";

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe("RelayBusClient against a hostile server", () => {
  test("drops garbage frames, logs each kind once, and still delivers the valid ones", async () => {
    const bus = scriptedBus((ws, n) => {
      if (n === 1) {
        ws.send("this is not json {");
        ws.send("this is not json either");
        ws.send("[1,2,3]");
        ws.send(JSON.stringify({ type: "surprise", x: 1 }));
        ws.send(JSON.stringify({ type: "surprise", x: 2 }));
        ws.send(new Uint8Array([0, 1, 2]));
        ws.send(JSON.stringify({ type: "welcome", sessionId: 42, serverTime: "now" }));
        ws.send(JSON.stringify({ type: "welcome", sessionId: "s1", serverTime: Date.now() }));
        ws.send(JSON.stringify({ type: "message.new", message: { ...message(1), id: "one" } }));
        ws.send(JSON.stringify({ type: "message.new", message: message(1) }));
        ws.send(JSON.stringify({ type: "command", command: { id: "c1" } }));
        // Oversized: the client must refuse it (its socket dies) and reconnect.
        ws.send(
          JSON.stringify({
            type: "message.new",
            message: { ...message(99), body: "x".repeat(LIMITS.busFrameBytes) },
          }),
        );
      } else {
        ws.send(JSON.stringify({ type: "welcome", sessionId: `s${n}`, serverTime: Date.now() }));
        ws.send(JSON.stringify({ type: "message.new", message: message(n) }));
      }
    });
    cleanup.push(() => bus.server.stop(true));
    const log = captureLogger();
    const client = new RelayBusClient({
      relayUrl: bus.url,
      token: "t0k3n-secret",
      hello: HELLO,
      logger: log.logger,
    });
    cleanup.push(() => client.close());
    const received: number[] = [];
    const states: TransportState[] = [];
    client.on("message.new", (m) => received.push(m.id));
    client.on("transport", (t) => states.push(t.state));
    client.start();

    await waitFor(() => received.includes(2), { what: "the message from the second connection" });
    expect(received).toEqual([1, 2]);
    expect(client.transportState).toBe("open");
    expect(states).toEqual(["connecting", "open", "reconnecting", "connecting", "open"]);

    const kinds = log.records.filter((r) => r.kind?.startsWith("frame:")).map((r) => r.kind);
    expect(kinds.sort()).toEqual([
      "frame:bad_json",
      "frame:binary",
      "frame:invalid_command",
      "frame:invalid_message.new",
      "frame:invalid_welcome",
      "frame:not_object",
      "frame:unknown_type",
    ]);
    // The oversized frame killed the socket; that is logged as a socket error, and the token never appears.
    expect(log.records.some((r) => String(r.kind).startsWith("socket:"))).toBe(true);
    expect(log.text()).not.toContain("t0k3n-secret");
    expect(bus.hellos).toHaveLength(2);
    expect(bus.hellos[0]).toMatchObject({
      type: "hello",
      token: "t0k3n-secret",
      agentId: "bob",
      heartbeatIntervalMs: 30_000,
    });
  });

  test("an error frame at hello is emitted, retried with backoff, and logged once however often it repeats", async () => {
    const bus = scriptedBus((ws, n) => {
      if (n < 4) {
        ws.send(JSON.stringify({ type: "error", code: "unauthorized", message: "bad token" }));
        ws.close(4401, "unauthorized");
      } else {
        ws.send(JSON.stringify({ type: "welcome", sessionId: "ok", serverTime: Date.now() }));
      }
    });
    cleanup.push(() => bus.server.stop(true));
    const log = captureLogger();
    const client = new RelayBusClient({
      relayUrl: bus.url,
      token: "tok",
      hello: HELLO,
      logger: log.logger,
      reconnect: { initialMs: 10, maxMs: 40 },
    });
    cleanup.push(() => client.close());
    const errors: string[] = [];
    client.on("error", (e) => errors.push(e.code));
    client.start();
    await client.waitForOpen({ timeoutMs: 10_000 });
    expect(errors).toEqual(["unauthorized", "unauthorized", "unauthorized"]);
    expect(log.records.filter((r) => r.kind === "refused:unauthorized")).toHaveLength(1);
  });

  test("a listener that throws does not stop delivery to the others", async () => {
    const bus = scriptedBus((ws) => {
      ws.send(JSON.stringify({ type: "welcome", sessionId: "s", serverTime: 1 }));
      ws.send(JSON.stringify({ type: "message.new", message: message(7) }));
    });
    cleanup.push(() => bus.server.stop(true));
    const log = captureLogger();
    const client = new RelayBusClient({ relayUrl: bus.url, token: "tok", hello: HELLO, logger: log.logger });
    cleanup.push(() => client.close());
    const got: number[] = [];
    client.on("message.new", () => {
      throw new Error("listener bug");
    });
    client.on("message.new", (m) => got.push(m.id));
    client.start();
    await waitFor(() => got.length === 1, { what: "delivery to the second listener" });
    expect(log.records.some((r) => r.msg === "bus listener threw")).toBe(true);
  });
});
