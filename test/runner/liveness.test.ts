// Liveness rounds against the real test relay: one liveness call (status, ready, heartbeat), unread; auth errors pause until renewal.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Message } from "../../src/protocol/index.ts";
import { RelayHttpClient } from "../../src/relay-client/index.ts";
import { AUTH_ERROR_LOG_WINDOW_MS, Liveness } from "../../src/runner/liveness.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { captureLogger } from "../support/runner.ts";
import { waitFor } from "../support/wait-for.ts";

let relay: TestRelay;
beforeAll(async () => {
  // A tiny grace: a renewed token's predecessor is refused almost at once.
  relay = await startTestRelay({ tokenGraceMs: 1 });
});
afterAll(async () => {
  await relay.close();
});

async function setup(agentId: string) {
  const token = await relay.mintToken(agentId);
  const instanceId = `inst-${agentId}`;
  await relay.openBus({ agentId, token, instanceId });
  const http = new RelayHttpClient({ relayUrl: relay.url, token });
  const clock = new ManualClock();
  const { logger, records } = captureLogger();
  const offered: Message[] = [];
  let semantic = "busy";
  const liveness = new Liveness({
    relay: http,
    identity: () => ({ agentId, instanceId }),
    status: () => ({ status: "busy", semanticStatus: semantic, ready: true }),
    heartbeatMeta: () => ({ contextUsage: { usedTokens: 5 } }),
    offer: (m) => offered.push(m),
    clock,
    logger,
  });
  const failures = () => records.filter((r) => r.msg === "relay liveness round failed");
  return {
    token,
    http,
    clock,
    records,
    offered,
    liveness,
    failures,
    setSemantic: (s: string) => (semantic = s),
  };
}

describe("Liveness", () => {
  test("a round reports status, readiness and heartbeat meta in one call, and offers every unread message", async () => {
    const s = await setup("live-a");
    const sent = [];
    for (let i = 0; i < 3; i++)
      sent.push(
        (await relay.call(relay.rootToken, "POST", "/v1/messages", { to: "live-a", body: `m${i}` })).body.id,
      );
    s.setSemantic("needs-input");
    await s.liveness.round();
    expect(s.failures()).toEqual([]);
    const agent = (await relay.call(relay.rootToken, "GET", "/v1/agents/live-a")).body;
    expect(agent).toMatchObject({ status: "busy", semanticStatus: "needs-input", ready: true });
    expect(agent.meta).toEqual({ contextUsage: { usedTokens: 5 } });
    expect(s.offered.map((m) => m.id)).toEqual(sent);
  });

  test("a 401 pauses the rounds, logged once, until the token is renewed", async () => {
    const s = await setup("live-b");
    const renewed = await s.http.renewToken();
    await waitFor(async () => (await relay.fetchAs(s.token, "/v1/agents/live-b/unread")).status === 401, {
      what: "the old token's 1 ms grace to end",
    });
    await s.liveness.round();
    expect(s.liveness.paused).toBe(true);
    await s.liveness.round();
    await s.clock.advance(AUTH_ERROR_LOG_WINDOW_MS * 2);
    await s.liveness.round();
    expect(s.failures(), "3 rounds while paused, 1 log line").toHaveLength(1);
    expect(s.failures()[0]!.kind).toBe("http-401");

    s.http.setToken(renewed.token);
    s.liveness.resume();
    await s.liveness.round();
    expect(s.liveness.paused).toBe(false);
    expect(s.failures()).toHaveLength(1);
  });

  test("other failures keep the rounds going but are logged at most once per 5 minutes", async () => {
    const s = await setup("live-c");
    // Another instance took the agent over: every status put is refused as stale (409).
    await relay.openBus({ agentId: "live-c", token: s.token, instanceId: "someone-newer" });
    await s.liveness.round();
    await s.clock.advance(AUTH_ERROR_LOG_WINDOW_MS - 1);
    await s.liveness.round();
    expect(s.liveness.paused, "a 409 is no auth failure").toBe(false);
    expect(s.failures(), "2 failures inside the window, 1 log line").toHaveLength(1);
    await s.clock.advance(1);
    await s.liveness.round();
    expect(s.failures(), "logged again once the window has passed").toHaveLength(2);
    expect(s.failures().map((f) => f.kind)).toEqual(["http-409", "http-409"]);
  });
});
