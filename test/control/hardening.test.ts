// Hostile and broken clients: oversized, malformed and slow requests get clean 4xx or a closed socket, and the
// server keeps answering. Tests run concurrently, each on its own server, so the slow ones overlap.
import { describe, expect, test } from "bun:test";
import net from "node:net";
import fc from "fast-check";
import type { ControlServerOptions } from "../../src/control/index.ts";
import { waitFor } from "../support/wait-for.ts";
import { type Harness, jsonOf, StreamReader, startServer } from "./support.ts";

async function withServer(options: ControlServerOptions, fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = startServer({ idleTimeoutSeconds: 1, bodyTimeoutMs: 1_000, ...options });
  try {
    await fn(h);
  } finally {
    await h.server.stop();
  }
}

async function expectHealthy(h: Harness): Promise<void> {
  const res = await h.call("/v1/health");
  expect(res.status).toBe(200);
  expect(await jsonOf(res)).toEqual({ ok: true });
}

interface RawConnection {
  received: () => string;
  closed: () => boolean;
  socket: net.Socket;
}

/** A raw TCP client that sends `text` and then stalls. */
function rawConnect(port: number, text: string): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    let data = "";
    let isClosed = false;
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(text);
      resolve({ received: () => data, closed: () => isClosed, socket });
    });
    socket.on("data", (d) => {
      data += d.toString("utf8");
    });
    socket.on("close", () => {
      isClosed = true;
    });
    socket.on("error", reject);
  });
}

const statusBody = { event: "turn-started", providerSessionId: "s" };

describe("oversized and malformed bodies", () => {
  test.concurrent("a 10 MB body with Content-Length is refused with 413 before it is read", async () => {
    await withServer({}, async (h) => {
      const res = await h.post("/v1/provider/status", "x".repeat(10 * 1024 * 1024));
      expect(res.status).toBe(413);
      expect((await jsonOf(res)).error.code).toBe("payload_too_large");
      await expectHealthy(h);
    });
  });

  test.concurrent("a chunked 10 MB body is cut off at the cap with 413", async () => {
    await withServer({ maxBodyBytes: 64 * 1024 }, async (h) => {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 10 * 1024 * 1024) return controller.close();
          sent += 64 * 1024;
          controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
        },
      });
      const res = await h.call("/v1/provider/status", {
        method: "POST",
        body,
        duplex: "half",
      } as RequestInit);
      expect(res.status).toBe(413);
      expect(await jsonOf(res)).toMatchObject({ error: { code: "payload_too_large" } });
      await expectHealthy(h);
    });
  });

  test.concurrent("malformed JSON, an empty body, invalid UTF-8 and wrong types are each a 400 JSON error", async () => {
    await withServer({}, async (h) => {
      const cases: [NonNullable<RequestInit["body"]>, string, string][] = [
        ["{not json", "invalid_json", "not valid JSON"],
        ["", "invalid_json", "empty"],
        [new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), "invalid_json", "UTF-8"],
        [JSON.stringify({ ...statusBody, providerSessionId: 42 }), "invalid_body", "body.providerSessionId"],
        [JSON.stringify([statusBody]), "invalid_body", "body"],
        [
          JSON.stringify({ event: "context-usage", providerSessionId: "s", usedTokens: -1 }),
          "invalid_body",
          "usedTokens",
        ],
      ];
      for (const [body, code, text] of cases) {
        const res = await h.call("/v1/provider/status", { method: "POST", body });
        expect(res.status).toBe(400);
        const json = await jsonOf(res);
        expect(json.error.code).toBe(code);
        expect(json.error.message).toContain(text);
      }
      expect(h.providerEvents).toEqual([]);
      expect((await h.post("/v1/provider/status", statusBody)).status).toBe(200);
    });
  });
});

describe("slow clients", () => {
  test.concurrent("a body that stalls half-way gets 408 JSON and its connection closed", async () => {
    await withServer({}, async (h) => {
      const conn = await rawConnect(
        h.server.port,
        `POST /v1/provider/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.server.secret}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"event":',
      );
      await waitFor(conn.closed, { timeoutMs: 8_000, what: "the stalled connection to close" });
      expect(conn.received()).toStartWith("HTTP/1.1 408");
      expect(conn.received()).toContain('"code":"request_timeout"');
      await expectHealthy(h);
    });
  });

  test.concurrent("a request whose headers never finish is dropped while other clients are served", async () => {
    await withServer({}, async (h) => {
      const conn = await rawConnect(h.server.port, "POST /v1/provider/status HTTP/1.1\r\nHost: x\r\n");
      await expectHealthy(h);
      // Bun drops connections with unfinished headers on its own fixed ~10 s timer (4 s granularity).
      await waitFor(conn.closed, {
        timeoutMs: 20_000,
        intervalMs: 100,
        what: "the half-open connection to close",
      });
      expect(conn.received()).not.toContain("200 OK");
      await expectHealthy(h);
    });
  }, 25_000);

  test.concurrent("long-polls and delivery streams keep their connections past the idle timeout", async () => {
    await withServer({}, async (h) => {
      const reader = await StreamReader.open(h);
      const answer = h.post("/v1/permissions", { providerSessionId: "s", tool: "Bash", detail: "ls" });
      await waitFor(() => h.server.pendingPermissions().length === 1 && h.server.monitorConnected, {
        what: "a pending permission and a monitor",
      });
      const since = Date.now();
      // Bun sweeps idle sockets every ~4 s; with idleTimeout 1 s both would be cut by the second sweep.
      await waitFor(() => Date.now() - since > 5_500, {
        timeoutMs: 7_000,
        intervalMs: 250,
        what: "two idle sweeps",
      });
      expect(h.server.monitorConnected).toBe(true);
      const [pending] = h.server.pendingPermissions();
      expect(h.server.resolvePermission(pending!.approvalId, "approve")).toBe(true);
      expect((await jsonOf(answer)).decision).toBe("approve");
      h.server.publishDelivery({ messageId: 1, line: "still here" });
      await waitFor(() => reader.events.length === 1, { what: "the item on the long-lived stream" });
      reader.close();
    });
  }, 15_000);
});

const fieldNames = [
  "event",
  "providerSessionId",
  "hook_event_name",
  "session_id",
  "tool",
  "detail",
  "metadata",
  "timeoutMs",
  "messageId",
  "reason",
  "prompt",
  "tool_input",
  "subagentId",
  "usedTokens",
];
const eventNames = ["turn-started", "failure", "context-usage", "Stop", "PermissionRequest", "SessionEnd"];
const structuredBody = fc.dictionary(
  fc.constantFrom(...fieldNames),
  fc.oneof(fc.constantFrom(...eventNames), fc.jsonValue({ maxDepth: 2 })),
);

const routes: { method: string; path: string }[] = [
  { method: "POST", path: "/v1/provider/status" },
  { method: "POST", path: "/v1/permissions" },
  { method: "POST", path: "/v1/hooks/Stop" },
  { method: "POST", path: "/v1/hooks/PermissionRequest" },
  { method: "POST", path: "/v1/deliveries/1/ack" },
  { method: "GET", path: "/v1/health" },
  { method: "GET", path: "/v1/terminal" },
  { method: "GET", path: "/v1/reply-obligations" },
  { method: "GET", path: "/v1/deliveries/stream" },
];

describe("fuzzing", () => {
  test.concurrent("random JSON and random bytes to every route never yield a 5xx, and errors are JSON", async () => {
    await withServer({ bodyTimeoutMs: 5_000, replyObligations: async () => [] }, async (h) => {
      // Someone must answer permission requests a lucky body makes valid, or they would wait 5 minutes.
      h.server.onProviderEvent((e) => {
        if (e.type === "permission.requested")
          queueMicrotask(() => h.server.resolvePermission(e.request.approvalId, "deny"));
      });
      const check = async (
        method: string,
        path: string,
        body: NonNullable<RequestInit["body"]> | undefined,
      ) => {
        const res = await h.call(path, { method, ...(body !== undefined ? { body } : {}) });
        expect(res.status).toBeLessThan(500);
        if (path.endsWith("/stream") && res.status === 200) return void (await res.body?.cancel());
        const text = await res.text();
        if (res.status >= 400) {
          expect(res.headers.get("content-type")).toContain("application/json");
          expect(JSON.parse(text).error.code).toBeString();
        }
      };
      const methods = fc.constantFrom("GET", "POST", "PUT", "DELETE");
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...routes),
          methods,
          fc.oneof(structuredBody, fc.jsonValue()),
          async (r, m, v) => {
            await check(m === "GET" ? r.method : m, r.path, m === "GET" ? undefined : JSON.stringify(v));
          },
        ),
        { numRuns: 250 },
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...routes), fc.uint8Array({ maxLength: 2048 }), async (r, bytes) => {
          await check("POST", r.path, bytes);
        }),
        { numRuns: 150 },
      );
      await fc.assert(
        fc.asyncProperty(fc.string({ maxLength: 40 }), structuredBody, async (segment, v) => {
          await check("POST", `/v1/hooks/${encodeURIComponent(segment)}`, JSON.stringify(v));
        }),
        { numRuns: 100 },
      );
      await expectHealthy(h);
    });
  }, 25_000);
});
