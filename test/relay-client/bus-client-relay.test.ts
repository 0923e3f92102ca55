import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Message } from "../../src/protocol/index.ts";
import { RelayBusClient, type RelayBusClientOptions } from "../../src/relay-client/bus-client.ts";
import { RelayHttpClient } from "../../src/relay-client/http-client.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";
import { HELLO } from "./scripted-bus.ts";

// Real relays and sockets on a shared 2-core machine: allow more than Bun's 5 s default (bunfig has no such key).
setDefaultTimeout(20_000);

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  // Every step runs even when one fails, so a broken test never leaves a relay or socket behind.
  const errors: unknown[] = [];
  for (const c of cleanup.reverse()) {
    try {
      await c();
    } catch (e) {
      errors.push(e);
    }
  }
  cleanup = [];
  if (errors.length) throw errors[0];
});

async function relay(opts: Parameters<typeof startTestRelay>[0] = {}): Promise<TestRelay> {
  const t = await startTestRelay(opts);
  cleanup.push(() => t.close());
  return t;
}

function bus(
  opts: Partial<RelayBusClientOptions> & Pick<RelayBusClientOptions, "relayUrl" | "token">,
): RelayBusClient {
  const c = new RelayBusClient({
    hello: { ...HELLO, agentId: "bob", instanceId: "inst-bob" },
    logger: silentLogger(),
    reconnect: { initialMs: 20, maxMs: 200 },
    ...opts,
  });
  cleanup.push(() => c.close());
  return c;
}

function http(url: string, token: string): RelayHttpClient {
  const c = new RelayHttpClient({ relayUrl: url, token });
  cleanup.push(() => c.close());
  return c;
}

describe("RelayBusClient with the embedded relay", () => {
  test("receives the messages and commands the relay pushes for its agent, and nobody else's", async () => {
    const t = await relay();
    const c = bus({ relayUrl: t.url, token: await t.mintToken("bob") });
    const messages: Message[] = [];
    const commands: string[] = [];
    c.on("message.new", (m) => messages.push(m));
    c.on("command", (cmd) => commands.push(cmd.type));
    c.start();
    await c.waitForOpen({ timeoutMs: 5_000 });
    const root = http(t.url, t.rootToken);
    await root.sendMessage({ to: "carol", body: "not for bob" });
    const mine = await root.sendMessage({ to: "bob", body: "for bob" });
    await root.createCommand({ target: "bob", type: "agent.compact" });
    await waitFor(() => messages.length === 1 && commands.length === 1, {
      what: "bob's message and command",
    });
    expect(messages[0]?.id).toBe(mine.id);
    expect(commands).toEqual(["agent.compact"]);
  });

  test("reconnects after the relay is killed and restarted on the same port and database, losing nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "relay-client-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const dbPath = join(dir, "relay.db");
    const first = await startTestRelay({ dbPath, rootToken: "root-secret" });
    let firstStopped = false;
    cleanup.push(() => (firstStopped ? undefined : first.close()));
    const port = first.relay.port;
    const token = await first.mintToken("bob");

    const c = bus({ relayUrl: first.url, token });
    const got: number[] = [];
    const states: string[] = [];
    c.on("message.new", (m) => got.push(m.id));
    c.on("transport", (s) => states.push(s.state));
    c.start();
    await c.waitForOpen({ timeoutMs: 5_000 });

    await first.close();
    firstStopped = true;
    await waitFor(() => c.transportState === "reconnecting", {
      what: "the client to notice the relay is gone",
    });
    // Published the moment the relay is back, before the client (in backoff) has said hello again.
    const second = await relay({ dbPath, rootToken: "root-secret", port });
    const root = http(second.url, second.rootToken);
    const whileAway = await root.sendMessage({ to: "bob", body: "sent while you were away" });

    await c.waitForOpen({ timeoutMs: 10_000 });
    expect(states).toContain("reconnecting");
    // After a reconnect the runner re-reads unread over HTTP: the message is there.
    const unread = await http(second.url, token).getUnread("bob");
    expect(unread.map((m) => m.id)).toContain(whileAway.id);
    const fresh = await root.sendMessage({ to: "bob", body: "after the restart" });
    await waitFor(() => got.includes(fresh.id), { what: "a push on the new session" });
  });

  test("after a token renewal, setToken + reconnectTransport says hello with the new token", async () => {
    // A tiny grace period: the old token is revoked almost at once, so only a hello with the new one is welcomed.
    const t = await relay({ tokenGraceMs: 1 });
    const oldToken = await t.mintToken("bob");
    const c = bus({ relayUrl: t.url, token: oldToken });
    c.start();
    await c.waitForOpen({ timeoutMs: 5_000 });
    const errors: string[] = [];
    c.on("error", (e) => errors.push(e.code));

    const agentHttp = http(t.url, oldToken);
    const renewed = await agentHttp.renewToken();
    await waitFor(async () => (await t.fetchAs(oldToken, "/v1/agents/bob/unread")).status === 401, {
      what: "the old token to be revoked",
    });

    c.setToken(renewed.token);
    c.reconnectTransport("token renewed");
    await c.waitForOpen({ timeoutMs: 5_000 });
    expect(errors).toEqual([]);

    // The control: the same move with the revoked token is refused.
    const stale = bus({
      relayUrl: t.url,
      token: oldToken,
      hello: { ...HELLO, agentId: "bob", instanceId: "inst-old" },
    });
    const refused: string[] = [];
    stale.on("error", (e) => refused.push(e.code));
    stale.start();
    await waitFor(() => refused.length > 0, { what: "the old token to be refused" });
    expect(["unauthorized", "token_expired"]).toContain(refused[0] as string);
    expect(stale.transportState).not.toBe("open");
  });

  test("a newer instance's hello ends the session for good: 'ended' (replaced), state closed, no reconnect", async () => {
    const t = await relay();
    const c = bus({ relayUrl: t.url, token: await t.mintToken("bob") });
    const states: string[] = [];
    const ended: unknown[] = [];
    const disconnected: unknown[] = [];
    c.on("transport", (e) => states.push(e.state));
    c.on("ended", (e) => ended.push(e));
    c.on("disconnected", (e) => disconnected.push(e));
    c.start();
    await c.waitForOpen({ timeoutMs: 5_000 });
    const newer = await t.openBus({ agentId: "bob", instanceId: "inst-newer" });
    await waitFor(() => ended.length > 0, { what: "the ended event" });
    expect(ended).toEqual([
      { cause: "replaced", closeCode: 4409, detail: expect.stringContaining("replaced") },
    ]);
    expect(disconnected).toHaveLength(1);
    expect(c.transportState).toBe("closed");
    expect(states.at(-1)).toBe("closed");
    await expect(c.waitForOpen({ timeoutMs: 1_000 })).rejects.toThrow(/closed/);
    await expect(
      c.statusAsync({ agentStatus: "idle", semanticStatus: "idle", ready: true, meta: {} }),
    ).rejects.toThrow();
    // The newer instance keeps the agent: its session still gets pushes and the row is its own.
    await http(t.url, t.rootToken).sendMessage({ to: "bob", body: "who is there?" });
    await newer.waitForFrame((f) => f.type === "message.new");
    expect((await t.call(t.rootToken, "GET", "/v1/agents/bob")).body.instanceId).toBe("inst-newer");
    expect(states.filter((s) => s === "connecting")).toHaveLength(1);
  });

  test("deregistration ends the session for good: 'ended' (deregistered), no reconnect re-registers the agent", async () => {
    const t = await relay();
    const token = await t.mintToken("bob");
    const c = bus({ relayUrl: t.url, token });
    const ended: { cause: string; closeCode: number }[] = [];
    c.on("ended", (e) => ended.push(e));
    c.start();
    await c.waitForOpen({ timeoutMs: 5_000 });
    expect((await t.call(token, "DELETE", "/v1/agents/bob")).status).toBe(200);
    await waitFor(() => ended.length > 0, { what: "the ended event" });
    expect(ended[0]).toMatchObject({ cause: "deregistered", closeCode: 4410 });
    expect(c.transportState).toBe("closed");
    expect((await t.call(t.rootToken, "GET", "/v1/agents/bob")).status).toBe(404);
  });
});
