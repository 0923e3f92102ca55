// Chaos: a hostile relay sends the runner garbage bus frames; they are dropped and logged, and the runner keeps delivering.
import { afterEach, describe, expect, test } from "bun:test";
import type { Server, ServerWebSocket } from "bun";
import { SignJWT } from "jose";
import { LIMITS } from "../../src/protocol/index.ts";
import { message } from "../relay-client/scripted-bus.ts";
import { waitFor } from "../support/wait-for.ts";
import { capturedLogger, chaosRunner, stopChaosRunners } from "./support.ts";

let server: Server<undefined> | undefined;
afterEach(async () => {
  await stopChaosRunners();
  await server?.stop(true);
});

const welcome = (n: number) =>
  JSON.stringify({ type: "welcome", sessionId: `s${n}`, serverTime: Date.now() });
const valid = (id: number) => JSON.stringify({ type: "message.new", message: message(id) });

/** What the first connection gets after its welcome: one of each kind of bad frame, then a valid message. */
const GARBAGE: (string | Uint8Array)[] = [
  "this is not json {",
  "[1,2,3]",
  "null",
  JSON.stringify({ type: "surprise", x: 1 }),
  JSON.stringify({ type: "x".repeat(10_000) }),
  JSON.stringify({ noType: true }),
  new Uint8Array([0, 1, 2, 0xff]),
  JSON.stringify({ type: "message.new", message: { ...message(500), id: "five hundred" } }),
  JSON.stringify({ type: "message.new", message: { ...message(501), body: 42 } }),
  JSON.stringify({ type: "message.new", message: { ...message(502), attachments: "none" } }),
  JSON.stringify({ type: "message.new", message: null }),
  JSON.stringify({ type: "command", command: { id: 7, type: ["agent.kill"] } }),
  JSON.stringify({ type: "error", code: 1, message: {} }),
  JSON.stringify({ type: "welcome", sessionId: "again", serverTime: Date.now() }),
];

function hostileRelay() {
  let connections = 0;
  const httpCalls: string[] = [];
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, srv) {
      const url = new URL(req.url);
      if (url.pathname === "/v1/bus") {
        if (srv.upgrade(req, { data: undefined })) return undefined;
        return new Response("no", { status: 400 });
      }
      httpCalls.push(`${req.method} ${url.pathname}`);
      if (url.pathname.endsWith("/unread")) return Response.json({ messages: [] });
      return Response.json({ ok: true });
    },
    websocket: {
      maxPayloadLength: 16 * 1024 * 1024,
      message(ws: ServerWebSocket<undefined>, raw) {
        const frame = JSON.parse(String(raw)) as { type: string };
        if (frame.type !== "hello") return;
        connections++;
        ws.send(welcome(connections));
        if (connections === 1) {
          for (const g of GARBAGE) ws.send(g);
          ws.send(valid(1));
          // Over the client's frame cap: the client must refuse it (its socket dies) and come back.
          ws.send(
            JSON.stringify({
              type: "message.new",
              message: { ...message(99), body: "x".repeat(LIMITS.busFrameBytes) },
            }),
          );
        } else {
          ws.send(valid(connections));
        }
      },
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, connections: () => connections, httpCalls };
}

describe("hostile bus frames", () => {
  test(`${GARBAGE.length} malformed frames and an oversized one: 0 delivered, each kind logged once, the runner reconnects and delivers the 2 valid messages`, async () => {
    const relay = hostileRelay();
    const { logger, records } = capturedLogger();
    const r = await chaosRunner({
      relayUrl: relay.url,
      // The hostile relay checks nothing, but the runner hands the provider only a runtime token: a JWT shaped like one.
      token: await new SignJWT({ agentId: "bob", profileId: "provider-agent" })
        .setProtectedHeader({ alg: "HS256" })
        .setJti("hostile-jti")
        .setExpirationTime("1h")
        .sign(new TextEncoder().encode("k".repeat(32))),
      agentId: "bob",
      logger,
    });

    await waitFor(() => r.adapter.deliveries.some((d) => d.id === 2), {
      timeoutMs: 10_000,
      what: "the valid message on the second connection",
    });
    await r.runner.queue.idle();

    expect(r.adapter.deliveries.map((d) => d.id)).toEqual([1, 2]);
    expect(relay.connections()).toBe(2);
    const dropped = records.filter((l) => l.level >= 40 && /dropped/.test(l.msg));
    // 14 bad frames fall into 8 kinds: not JSON, not an object, unknown type, binary, invalid message.new,
    // invalid command, invalid error, a second welcome.
    expect(dropped.length).toBe(8);
    // One line per kind of bad frame, never one per frame, and never the whole 10,000-character type.
    const messages = dropped.map((l) => l.msg);
    expect(new Set(messages).size).toBe(messages.length);
    for (const l of records) expect(JSON.stringify(l).length).toBeLessThan(4_000);
    expect(r.runner.state).toBe("running");
    // The malformed command never ran: nothing but the runner's own bookkeeping reached the relay over HTTP.
    expect(relay.httpCalls.filter((c) => c.includes("/commands/"))).toEqual([]);
  }, 30_000);
});
