// Chaos: abuse of a running runner's control server (the one its provider's hooks call) — the server-level
// hardening (413 on chunked bodies, invalid UTF-8, idle-exempt long-polls, a 500-run fuzz) is in
// test/control/hardening.test.ts; this checks the same attacks through the real runner wiring, which must keep delivering.
import { afterEach, describe, expect, test } from "bun:test";
import net from "node:net";
import fc from "fast-check";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";
import { chaosRunner, stopChaosRunners } from "./support.ts";

let relay: TestRelay | undefined;
afterEach(async () => {
  await stopChaosRunners();
  await relay?.close();
});

const ROUTES = [
  ["POST", "/v1/provider/status"],
  ["POST", "/v1/hooks/Stop"],
  ["POST", "/v1/hooks/UserPromptSubmit"],
  ["POST", "/v1/hooks/Notification"],
  ["POST", "/v1/deliveries/1/ack"],
  ["GET", "/v1/health"],
  ["GET", "/v1/terminal"],
  ["GET", "/v1/credentials"],
  ["GET", "/v1/reply-obligations"],
  ["GET", "/v1/deliveries/stream"],
] as const;
const ALL_ROUTES = [...ROUTES, ["POST", "/v1/permissions"]] as const;

async function liveRunner() {
  relay = await startTestRelay();
  const r = await chaosRunner({
    relayUrl: relay.url,
    token: await relay.mintToken("ctl"),
    agentId: "ctl",
    control: { idleTimeoutSeconds: 1, bodyTimeoutMs: 1_000 },
  });
  const base = r.runner.control.url;
  const secret = r.runner.control.secret;
  const call = (method: string, path: string, init: RequestInit = {}, auth: string | null = secret) =>
    fetch(`${base}${path}`, {
      method,
      ...init,
      headers: {
        ...(auth === null ? {} : { authorization: `Bearer ${auth}` }),
        ...(init.headers ?? {}),
      },
      signal: AbortSignal.timeout(5_000),
    });
  const delivers = async (body: string) => {
    const sent = await relay!.call(relay!.rootToken, "POST", "/v1/messages", { to: "ctl", body });
    await waitFor(() => r.adapter.deliveries.some((d) => d.id === sent.body.id), {
      what: `delivery of "${body}"`,
    });
  };
  return { r, base, secret, call, delivers };
}

describe("control server abuse on a running runner", () => {
  test(`a missing or wrong secret is 401 on all ${ALL_ROUTES.length} routes; oversized, malformed and mistyped bodies are 4xx; a slow-loris is cut off; the runner still delivers`, async () => {
    const { r, base, secret, call, delivers } = await liveRunner();
    for (const [method, path] of ALL_ROUTES) {
      for (const auth of [null, "wrong", secret.slice(0, -1), `${secret}x`]) {
        const res = await call(method, path, {}, auth);
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 401 });
        await res.body?.cancel();
      }
    }
    const post = (body: string) =>
      call("POST", "/v1/hooks/Stop", { body, headers: { "content-type": "application/json" } });
    const tenMb = await post("x".repeat(10 * 1024 * 1024));
    expect(tenMb.status).toBe(413);
    expect((await post("{not json")).status).toBe(400);
    expect((await post(JSON.stringify({ session_id: 42, hook_event_name: ["Stop"] }))).status).toBe(400);
    expect((await call("POST", "/v1/provider/status", { body: JSON.stringify({ event: 7 }) })).status).toBe(
      400,
    );

    // Slow-loris: half a request, then silence. The server drops it after its idle timeout and answers others meanwhile.
    const loris = net.connect(Number(new URL(base).port), "127.0.0.1");
    let lorisClosed = false;
    loris.on("close", () => {
      lorisClosed = true;
    });
    loris.on("error", () => {});
    // Reading is what lets the socket see the server's close (a paused socket never emits "close").
    let lorisGot = "";
    loris.on("data", (d) => {
      lorisGot += String(d);
    });
    loris.write(
      `POST /v1/hooks/Stop HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${secret}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":`,
    );
    expect((await call("GET", "/v1/health")).status).toBe(200);
    await waitFor(() => lorisClosed, { timeoutMs: 8_000, what: "the slow-loris connection to be closed" });
    expect(lorisGot).toStartWith("HTTP/1.1 408");

    expect((await call("GET", "/v1/health")).status).toBe(200);
    await delivers("still here after the abuse");
    expect(r.runner.state).toBe("running");
  }, 30_000);

  test("200 random bodies at every route (permissions excepted: a valid one long-polls) never give a 5xx, and the runner keeps running", async () => {
    const { r, call } = await liveRunner();
    const statuses: number[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.oneof(
          fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
          fc
            .record(
              {
                hook_event_name: fc.constantFrom(
                  "Stop",
                  "UserPromptSubmit",
                  "Notification",
                  "SessionEnd",
                  "Boom",
                ),
                session_id: fc.oneof(fc.string(), fc.integer()),
                prompt: fc.string(),
                event: fc.constantFrom("turn-started", "turn-completed", "context-usage", "bogus"),
                providerSessionId: fc.string(),
              },
              { requiredKeys: [] },
            )
            .map((v) => JSON.stringify(v)),
          fc.string({ maxLength: 200 }),
        ),
        async ([method, path], body) => {
          // Events for another provider session are ignored by the runner, so fuzzing cannot stop its provider.
          const res = await call(method, path, {
            ...(method === "POST" ? { body } : {}),
            headers: { "x-agent-relay-provider-session": "fuzz-session" },
          });
          statuses.push(res.status);
          await res.body?.cancel();
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 200 },
    );
    expect(statuses.length).toBe(200);
    expect((await call("GET", "/v1/health")).status).toBe(200);
    expect(r.runner.state).toBe("running");
  }, 30_000);
});
