// CodexRpc against a tiny scripted WebSocket server: timeouts, parsing at the boundary, server requests, close.
import { afterEach, describe, expect, test } from "bun:test";
import { z } from "zod";
import { CodexRpc, RpcError, type RpcNotification } from "../../../src/providers/codex/rpc.ts";
import { silentLogger } from "../../../src/util/logger.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import { waitFor } from "../../support/wait-for.ts";

type Frame = Record<string, unknown>;

/** A loopback WebSocket server that hands each frame the client sends to `onFrame`; `send` pushes frames to the client. */
function scriptedServer(onFrame: (frame: Frame, send: (f: unknown) => void) => void) {
  const received: Frame[] = [];
  let socket: { send(data: string): void; close(): void } | undefined;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, srv) {
      return srv.upgrade(req) ? undefined : new Response("upgrade only", { status: 400 });
    },
    websocket: {
      open(ws) {
        socket = ws;
      },
      message(ws, data) {
        const frame = JSON.parse(String(data)) as Frame;
        received.push(frame);
        onFrame(frame, (f) => ws.send(typeof f === "string" ? f : JSON.stringify(f)));
      },
    },
  });
  return {
    url: `ws://127.0.0.1:${server.port}`,
    received,
    send: (f: unknown) => socket?.send(typeof f === "string" ? f : JSON.stringify(f)),
    closeClient: () => socket?.close(),
    stop: () => server.stop(true),
  };
}

let stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const s of stops) await s();
  stops = [];
});

async function connect(server: ReturnType<typeof scriptedServer>, requestTimeoutMs = 2_000) {
  const rpc = await CodexRpc.connect(server.url, { logger: silentLogger(), requestTimeoutMs });
  stops.push(() => rpc.close(500), server.stop);
  return rpc;
}

describe("CodexRpc", () => {
  test("a request resolves with its result parsed by the schema", async () => {
    const server = scriptedServer((f, send) =>
      send({ id: f.id, result: { userAgent: "codex/0.169.0", extra: 1 } }),
    );
    const rpc = await connect(server);
    const result = await rpc.request("initialize", { clientInfo: {} }, z.object({ userAgent: z.string() }));
    expect(result).toEqual({ userAgent: "codex/0.169.0" });
    expect(server.received[0]).toMatchObject({ id: 1, method: "initialize", params: { clientInfo: {} } });
  });

  test("a request nobody answers rejects with TIMEOUT at its deadline and later ones still work", async () => {
    const server = scriptedServer((f, send) => {
      if (f.method !== "unknown/method") send({ id: f.id, result: {} });
    });
    const clock = new ManualClock();
    const rpc = await CodexRpc.connect(server.url, {
      logger: silentLogger(),
      clock,
      requestTimeoutMs: 15_000,
    });
    stops.push(() => rpc.close(0), server.stop);
    let settled = false;
    const unanswered = rpc.request("unknown/method", {}, z.unknown()).finally(() => {
      settled = true;
    });
    unanswered.catch(() => {});
    await waitFor(() => server.received.length === 1);
    await clock.advance(14_999);
    expect(settled).toBe(false);
    await clock.advance(1);
    await expect(unanswered).rejects.toMatchObject({ code: "TIMEOUT" });
    await expect(rpc.request("thread/read", {}, z.object({}))).resolves.toEqual({});
  });

  test("an error answer rejects with an RpcError carrying the code and message", async () => {
    const server = scriptedServer((f, send) =>
      send({ id: f.id, error: { code: -32600, message: "thread not found: x" } }),
    );
    const rpc = await connect(server);
    const error = (await rpc
      .request("thread/resume", { threadId: "x" }, z.unknown())
      .catch((e) => e)) as RpcError;
    expect(error).toBeInstanceOf(RpcError);
    expect(error.code).toBe(-32600);
    expect(error.message).toContain("thread not found: x");
  });

  test("a result that does not match the schema rejects instead of resolving with bad data", async () => {
    const server = scriptedServer((f, send) => send({ id: f.id, result: { thread: "not-an-object" } }));
    const rpc = await connect(server);
    await expect(
      rpc.request("thread/start", {}, z.object({ thread: z.object({ id: z.string() }) })),
    ).rejects.toThrow(/unexpected result/);
  });

  test("invalid frames are dropped and the connection keeps serving", async () => {
    const server = scriptedServer((f, send) => {
      send("this is not json");
      send({ neither: "request nor response" });
      send({ id: f.id, result: { ok: true } });
    });
    const rpc = await connect(server);
    const notifications: RpcNotification[] = [];
    rpc.onNotification((n) => notifications.push(n));
    await expect(rpc.request("x", {}, z.object({ ok: z.boolean() }))).resolves.toEqual({ ok: true });
    expect(notifications).toEqual([]);
  });

  test("notifications reach listeners with method and params", async () => {
    const server = scriptedServer(() => {});
    const rpc = await connect(server);
    const notifications: RpcNotification[] = [];
    rpc.onNotification((n) => notifications.push(n));
    server.send({ method: "turn/started", params: { threadId: "t1" }, emittedAtMs: 1 });
    await waitFor(() => notifications.length === 1);
    expect(notifications[0]).toEqual({ method: "turn/started", params: { threadId: "t1" } });
  });

  test("server requests go to the handler, which answers later; declined ones get method-not-found", async () => {
    const server = scriptedServer(() => {});
    const rpc = await connect(server);
    const seen: unknown[] = [];
    rpc.setServerRequestHandler((r) => {
      if (r.method !== "item/commandExecution/requestApproval") return false;
      seen.push(r.id);
      return true;
    });
    server.send({ id: 0, method: "item/commandExecution/requestApproval", params: { itemId: "call_1" } });
    server.send({ id: 1, method: "item/tool/requestUserInput", params: {} });
    await waitFor(() => server.received.some((f) => f.id === 1));
    expect(server.received.find((f) => f.id === 1)).toMatchObject({ error: { code: -32601 } });
    expect(seen).toEqual([0]);
    rpc.respond(0, { decision: "accept" });
    await waitFor(() => server.received.some((f) => f.id === 0));
    expect(server.received.find((f) => f.id === 0)).toEqual({ id: 0, result: { decision: "accept" } });
  });

  test("pending requests reject when the server closes the socket, and close listeners hear it", async () => {
    const server = scriptedServer(() => {});
    const rpc = await connect(server);
    const reasons: string[] = [];
    rpc.onClose((r) => reasons.push(r));
    const pending = rpc.request("turn/start", {}, z.unknown(), { timeoutMs: 5_000 });
    await waitFor(() => server.received.length === 1);
    server.closeClient();
    await expect(pending).rejects.toMatchObject({ code: "PROVIDER_EXITED" });
    expect(reasons).toHaveLength(1);
    expect(rpc.isOpen).toBe(false);
    await expect(rpc.request("x", {}, z.unknown())).rejects.toMatchObject({ code: "PROVIDER_EXITED" });
  });

  test("an aborted request rejects with ABORTED at once", async () => {
    const server = scriptedServer(() => {});
    const rpc = await connect(server);
    const controller = new AbortController();
    const pending = rpc.request("turn/start", {}, z.unknown(), { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: "ABORTED" });
  });

  test("connecting to a port with no server fails with PROVIDER_NOT_READY", async () => {
    const server = scriptedServer(() => {});
    const url = server.url;
    await server.stop();
    await expect(CodexRpc.connect(url, { logger: silentLogger(), timeoutMs: 2_000 })).rejects.toMatchObject({
      code: "PROVIDER_NOT_READY",
    });
  });
});
