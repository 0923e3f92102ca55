// The control server over real loopback HTTP: authentication, routing, status updates, hooks, terminal, obligations.
import { afterEach, describe, expect, test } from "bun:test";
import { ControlServer } from "../../src/control/index.ts";
import type { Message } from "../../src/protocol/index.ts";
import { waitFor } from "../support/wait-for.ts";
import { type Harness, jsonOf, startServer } from "./support.ts";

let h: Harness;
afterEach(async () => {
  await h?.server.stop();
});

const message = (id: number): Message => ({
  id,
  from: "alice",
  to: "bob",
  kind: "chat",
  body: "please reply",
  payload: { replyRequired: true },
  claimable: false,
  readBy: [],
  reactions: [],
  attachments: [],
  createdAt: 1,
});

describe("authentication", () => {
  test("a request without the secret gets 401 JSON, on known and unknown routes alike", async () => {
    h = startServer();
    for (const path of ["/v1/health", "/v1/nowhere"]) {
      const res = await fetch(`${h.server.url}${path}`);
      expect(res.status).toBe(401);
      expect(await jsonOf(res)).toEqual({
        error: { code: "unauthorized", message: "missing or wrong control secret" },
      });
    }
  });

  test("a wrong secret, a truncated secret and a non-Bearer scheme are all refused", async () => {
    h = startServer();
    const s = h.server.secret;
    for (const auth of [`Bearer ${s}x`, `Bearer ${s.slice(0, -1)}`, `Basic ${s}`, "Bearer"]) {
      const res = await fetch(`${h.server.url}/v1/health`, { headers: { authorization: auth } });
      expect(res.status).toBe(401);
    }
  });

  test("the secret is accepted as a Bearer token or in x-agent-relay-secret", async () => {
    h = startServer();
    const viaBearer = await fetch(`${h.server.url}/v1/health`, {
      headers: { authorization: `Bearer ${h.server.secret}` },
    });
    expect(await jsonOf(viaBearer)).toEqual({ ok: true });
    const viaHeader = await fetch(`${h.server.url}/v1/health`, {
      headers: { "x-agent-relay-secret": h.server.secret },
    });
    expect(viaHeader.status).toBe(200);
  });

  test("each server generates its own 32-byte base64url secret; a short supplied secret is refused", () => {
    const a = new ControlServer();
    const b = new ControlServer();
    expect(a.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.secret).not.toBe(b.secret);
    expect(() => new ControlServer({ secret: "short" })).toThrow(/at least 32/);
  });

  test("the server listens on 127.0.0.1 only and exposes the env its provider needs", () => {
    h = startServer();
    expect(h.server.url).toBe(`http://127.0.0.1:${h.server.port}`);
    expect(h.server.childEnv("spawn-1")).toEqual({
      AGENT_RELAY_CONTROL_URL: h.server.url,
      AGENT_RELAY_CONTROL_SECRET: h.server.secret,
      AGENT_RELAY_PROVIDER_SESSION_ID: "spawn-1",
    });
  });
});

describe("routing", () => {
  test("an unknown route is 404 and a wrong method is 405 with Allow", async () => {
    h = startServer();
    const missing = await h.call("/v1/nothing-here");
    expect(missing.status).toBe(404);
    expect((await jsonOf(missing)).error.code).toBe("not_found");
    const wrong = await h.call("/v1/provider/status");
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    expect((await jsonOf(wrong)).error.code).toBe("method_not_allowed");
  });

  test("stop() is idempotent: concurrent and repeated calls all settle", async () => {
    h = startServer();
    await Promise.all([h.server.stop(), h.server.stop()]);
    await h.server.stop();
    expect(() => h.server.start()).toThrow(/cannot start/);
  });

  test("an idle timeout outside Bun's 1–255 s range is refused at construction", () => {
    expect(() => new ControlServer({ idleTimeoutSeconds: 0 })).toThrow(/idleTimeoutSeconds/);
    expect(() => new ControlServer({ idleTimeoutSeconds: 1.5 })).toThrow(/idleTimeoutSeconds/);
  });

  test("requests after stop() are refused because nothing listens", async () => {
    h = startServer();
    const url = h.server.url;
    await h.server.stop();
    await expect(fetch(`${url}/v1/health`)).rejects.toThrow();
  });
});

describe("POST /v1/provider/status", () => {
  test("every status update reaches the listener as a ProviderEvent carrying the session id", async () => {
    h = startServer();
    const sid = "spawn-7";
    const updates = [
      { event: "turn-started", turnId: "t1" },
      { event: "turn-stopped", turnId: "t1" },
      { event: "subagent-started", subagentId: "sa", label: "explorer" },
      { event: "subagent-stopped", subagentId: "sa" },
      { event: "compaction-started" },
      { event: "compaction-completed" },
      { event: "failure", reason: "429 rate limited" },
      { event: "session-ended", reason: "other" },
      { event: "needs-input", reason: "dialog", screen: "Trust this folder?" },
      { event: "input-resolved" },
      { event: "context-usage", usedTokens: 1200, maxTokens: 200000 },
      { event: "delivery-confirmed", messageId: 42 },
    ];
    for (const u of updates) {
      const res = await h.post("/v1/provider/status", { ...u, providerSessionId: sid });
      expect(res.status).toBe(200);
    }
    expect(h.providerEvents).toEqual([
      { type: "turn.started", providerSessionId: sid, turnId: "t1" },
      { type: "turn.completed", providerSessionId: sid, turnId: "t1" },
      { type: "subagent.started", providerSessionId: sid, subagentId: "sa", label: "explorer" },
      { type: "subagent.stopped", providerSessionId: sid, subagentId: "sa" },
      { type: "compaction.started", providerSessionId: sid },
      { type: "compaction.completed", providerSessionId: sid },
      { type: "turn.failed", providerSessionId: sid, reason: "429 rate limited" },
      { type: "session.ended", providerSessionId: sid, reason: "other" },
      { type: "needs-input", providerSessionId: sid, reason: "dialog", screen: "Trust this folder?" },
      { type: "input.resolved", providerSessionId: sid },
      { type: "context.usage", providerSessionId: sid, usedTokens: 1200, maxTokens: 200000 },
      { type: "delivery.confirmed", providerSessionId: sid, messageId: 42 },
    ]);
  });

  test("an invalid update is 400 with a message naming the field, and emits nothing", async () => {
    h = startServer();
    const res = await h.post("/v1/provider/status", { event: "subagent-started", providerSessionId: "s" });
    expect(res.status).toBe(400);
    const body = await jsonOf(res);
    expect(body.error.code).toBe("invalid_body");
    expect(body.error.message).toContain("body.subagentId");
    const unknown = await h.post("/v1/provider/status", { event: "exploded", providerSessionId: "s" });
    expect(unknown.status).toBe(400);
    expect((await jsonOf(unknown)).error.message).toContain("body.event");
    expect(h.providerEvents).toEqual([]);
  });
});

describe("POST /v1/hooks/:event", () => {
  test("a raw Stop payload reaches the adapters as hook.received for the session named in the header, with a silent 204", async () => {
    h = startServer();
    const res = await h.post(
      "/v1/hooks/Stop",
      { session_id: "native", prompt_id: "P", hook_event_name: "Stop", stop_hook_active: false },
      { headers: { "x-agent-relay-provider-session": "spawn-3" } },
    );
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    // Hooks become provider events in the Claude adapter alone (providers/claude/hooks.ts), not here.
    expect(h.providerEvents).toEqual([]);
    const raw = h.controlEvents.find((e) => e.type === "hook.received");
    expect(raw).toMatchObject({
      providerSessionId: "spawn-3",
      payload: { hook_event_name: "Stop", session_id: "native" },
    });
  });

  test("without a header Claude's own session_id names the session", async () => {
    h = startServer();
    await h.post("/v1/hooks/Stop", { session_id: "native", hook_event_name: "Stop" });
    const raw = h.controlEvents.filter((e) => e.type === "hook.received");
    expect(raw.map((e) => (e.type === "hook.received" ? e.providerSessionId : ""))).toEqual(["native"]);
  });

  test("a payload whose hook_event_name differs from the route is 400", async () => {
    h = startServer();
    const res = await h.post("/v1/hooks/Stop", { session_id: "s", hook_event_name: "SessionEnd" });
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).error.message).toContain("does not match");
  });

  test("a payload missing session_id is 400 naming the field", async () => {
    h = startServer();
    const res = await h.post("/v1/hooks/Stop", { hook_event_name: "Stop" });
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).error.message).toContain("body.session_id");
  });

  test("UserPromptSubmit naming a relay message confirms nothing here: the adapter is the one confirmation source", async () => {
    h = startServer();
    await h.post("/v1/hooks/UserPromptSubmit", {
      session_id: "n",
      hook_event_name: "UserPromptSubmit",
      prompt: "<task-notification><event>[relay message #9 from alice] hi</event></task-notification>",
    });
    expect(h.providerEvents).toEqual([]);
    expect(h.controlEvents.filter((e) => e.type === "hook.received")).toHaveLength(1);
  });
});

describe("GET /v1/terminal and /v1/reply-obligations", () => {
  test("the terminal spec comes from the runner's callback, 404 without one", async () => {
    h = startServer();
    expect((await h.call("/v1/terminal")).status).toBe(404);
    const spec = { command: ["tmux", "-L", "sock", "attach", "-t", "main"], description: "attach" };
    h.server.setTerminalAttachSpec(() => spec);
    const res = await h.call("/v1/terminal");
    expect(await jsonOf(res)).toEqual(spec);
  });

  test("reply obligations are fetched through the runner's callback", async () => {
    h = startServer({ replyObligations: async () => [message(5)] });
    const res = await h.call("/v1/reply-obligations");
    expect(res.status).toBe(200);
    expect(await jsonOf(res)).toEqual({ messages: [message(5)] });
  });

  test("a failing obligations callback is a 502 JSON error, a missing one 404", async () => {
    h = startServer();
    expect((await h.call("/v1/reply-obligations")).status).toBe(404);
    h.server.setReplyObligations(async () => {
      throw new Error("relay down");
    });
    const res = await h.call("/v1/reply-obligations");
    expect(res.status).toBe(502);
    expect((await jsonOf(res)).error.message).toContain("relay down");
  });

  test("a hanging obligations callback is cut off with 504 and its signal aborted", async () => {
    let aborted = false;
    h = startServer({
      upstreamTimeoutMs: 200,
      replyObligations: (signal) =>
        new Promise((_, reject) =>
          signal.addEventListener("abort", () => {
            aborted = true;
            reject(signal.reason);
          }),
        ),
    });
    const res = await h.call("/v1/reply-obligations");
    expect(res.status).toBe(504);
    await waitFor(() => aborted, { what: "the callback's signal to abort" });
  });
});
