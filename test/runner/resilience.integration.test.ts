// The runner under stress end to end: the relay going away mid-stream, token renewal, hostile message text.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { receivedBytes, receivedInputs } from "../fixtures/echo-agent-record.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { startTestRunner, stopTestRunners } from "../support/runner.ts";
import { waitFor } from "../support/wait-for.ts";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  await stopTestRunners();
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function relayFor(opts: Parameters<typeof startTestRelay>[0] = {}): Promise<TestRelay> {
  const t = await startTestRelay(opts);
  let closed = false;
  const close = t.close;
  t.close = async () => {
    if (closed) return;
    closed = true;
    await close();
  };
  cleanups.push(() => t.close());
  return t;
}

async function trySend(relay: TestRelay, to: string, body: string): Promise<number | undefined> {
  try {
    const res = await relay.call(relay.rootToken, "POST", "/v1/messages", { from: "sender", to, body });
    return res.status === 200 ? (res.body.id as number) : undefined;
  } catch {
    return undefined; // the relay is down: this message was never sent
  }
}

function counts(got: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const id of got) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}

describe("runner resilience (real relay, command provider in tmux)", () => {
  test("when the relay restarts mid-stream (bus dropped), every accepted message arrives exactly once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "relay-drop-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const dbPath = join(dir, "relay.db");
    const rootToken = "root-token-for-the-bus-drop-test";
    const first = await relayFor({ dbPath, rootToken });
    const port = first.relay.port;
    const r = await startTestRunner({ relay: first, agentId: "drop-a" });
    const sent: number[] = [];
    const keep = (id: number | undefined) => id !== undefined && sent.push(id);

    for (let i = 0; i < 5; i++) keep(await trySend(first, "drop-a", `before ${i}`));
    // Sends racing the shutdown: whatever the relay accepted counts as sent.
    const racing = Array.from({ length: 5 }, (_, i) => trySend(first, "drop-a", `racing ${i}`));
    await first.close();
    for (const id of await Promise.all(racing)) keep(id);
    await waitFor(() => r.runner.bus.transportState === "reconnecting", {
      what: "the runner to notice the bus is gone",
    });

    const second = await relayFor({ dbPath, rootToken, port });
    // Published while the runner is still in reconnect backoff: only the unread re-read can find these.
    for (let i = 0; i < 5; i++) keep(await trySend(second, "drop-a", `while away ${i}`));
    await waitFor(() => r.runner.bus.transportState === "open", { timeoutMs: 15_000, what: "the bus back" });
    for (let i = 0; i < 5; i++) keep(await trySend(second, "drop-a", `after ${i}`));

    await waitFor(() => sent.every((id) => r.messageIds().includes(id)), {
      timeoutMs: 20_000,
      what: `all ${sent.length} accepted messages in the fixture`,
    });
    const marker = await trySend(second, "drop-a", "marker");
    await waitFor(() => marker !== undefined && r.messageIds().includes(marker), { what: "the marker" });
    const c = counts(r.messageIds());
    const lost = sent.filter((id) => !c.has(id));
    const duplicated = sent.filter((id) => (c.get(id) ?? 0) > 1);
    expect(
      { lost, duplicated },
      `sent ${sent.length} (≥ 15), lost ${lost.length}, duplicated ${duplicated.length}`,
    ).toEqual({ lost: [], duplicated: [] });
    expect(sent.length).toBeGreaterThanOrEqual(15);
    // Read marks lost while the relay was down are made up: nothing delivered stays unread.
    const token = r.runner.credentials.token;
    await waitFor(
      async () => (await second.call(token, "GET", "/v1/agents/drop-a/unread")).body.messages.length === 0,
      { what: "every delivered message marked read" },
    );
  }, 45_000);

  test("a short-lived runtime token is renewed, the bus reconnects with the new one, and a message sent after the old token's grace arrives", async () => {
    // ttl 70 s → lead 60 s, jitter ≤ 30 s: the first renewal is due within 1-10 s. Grace 300 ms: the old token dies fast.
    const relay = await relayFor({ tokenGraceMs: 300 });
    const r = await startTestRunner({ relay, agentId: "renew-a", tokenTtlSeconds: 70 });
    const oldToken = r.runner.credentials.token;
    const oldJti = r.runner.credentials.record!.jti;
    const due = r.runner.renewer.nextRenewalAt! - Date.now();
    expect(due, "renewal planned within 10 s").toBeLessThanOrEqual(10_000);
    let welcomes = 0;
    r.runner.bus.on("connected", () => welcomes++);

    await waitFor(() => r.runner.credentials.record!.jti !== oldJti, {
      timeoutMs: 13_000,
      what: "the first token renewal",
    });
    await waitFor(async () => (await relay.fetchAs(oldToken, "/v1/agents/renew-a/unread")).status === 401, {
      what: "the old token's grace to end",
    });
    await waitFor(() => welcomes > 0 && r.runner.bus.transportState === "open", {
      what: "the bus to reconnect with the new token",
    });
    expect(r.runner.liveness.paused).toBe(false);
    const res = await relay.call(relay.rootToken, "POST", "/v1/messages", {
      from: "sender",
      to: "renew-a",
      body: "after the grace",
    });
    await waitFor(() => r.messageIds().includes(res.body.id), { what: "the message sent after the grace" });
    expect(r.messageIds(), "1 sent, 1 received").toEqual([res.body.id]);
    const renewed = r.logs.filter((l) => l.msg.includes("renewal failed"));
    expect(renewed, "no renewal failures logged").toEqual([]);
  }, 25_000);

  test("hostile text (ESC sequences, a paste-end marker, NUL, a 1 MB body) reaches the provider as inert text", async () => {
    const relay = await relayFor();
    const r = await startTestRunner({
      relay,
      agentId: "hostile-a",
      fixtureEnv: { ECHO_AGENT_RUN_TYPED: "1" },
    });
    const pwned = join(r.dir, "pwned");
    // The sanitiser drops complete escape sequences (colours, the title, the paste-end marker) and shows controls.
    const hostile = `hi \x1b[31mred\x1b[0m \x1b]0;title\x07 \x1b[201~touch ${pwned}\r nul:\x00 bell:\x07 end`;
    const big = `${"y".repeat(99)}\n`.repeat(10_486); // ~1 MB
    const send = async (body: string) =>
      (await relay.call(relay.rootToken, "POST", "/v1/messages", { from: "sender", to: "hostile-a", body }))
        .body.id as number;
    const hostileId = await send(hostile);
    await waitFor(() => r.messageIds().includes(hostileId), { what: "the hostile message" });
    const bigId = await send(big);
    await waitFor(() => r.messageIds().includes(bigId), { timeoutMs: 25_000, what: "the 1 MB message" });

    const inputs = receivedInputs(r.recordFile);
    for (const input of inputs) {
      expect(input.typed, "nothing arrived outside the bracketed paste").toBe("");
      expect(input.pastes, "one paste per delivery").toBe(1);
    }
    const hostileInput = inputs.find((i) => i.text.includes(`#${hostileId} `))!;
    expect(hostileInput.pasted).toContain(`hi red  touch ${pwned}\r nul:␀ bell:␇ end`);
    expect(existsSync(pwned), "the pasted command did not run").toBe(false);
    const bigInput = inputs.find((i) => i.text.includes(`#${bigId} `))!;
    expect(bigInput.pasted.length, "the 1 MB body arrived whole").toBe(bigInput.text.length);
    expect(bigInput.pasted).toBe(`[relay message #${bigId} from sender]\r${big.replaceAll("\n", "\r")}`);
    // Raw bytes: one ESC[201~ per delivery (the real end marker) and no other ESC at all.
    const raw = receivedBytes(r.recordFile).toString("latin1");
    const escapes = raw.match(/\x1b\[[0-9;]*[~A-Za-z]/g) ?? [];
    expect(escapes.filter((e) => e === "\x1b[201~").length).toBe(2);
    expect(
      escapes.filter((e) => e !== "\x1b[200~" && e !== "\x1b[201~"),
      "stray escape sequences",
    ).toEqual([]);
    expect(raw.includes("\x00"), "no NUL byte reached the terminal").toBe(false);
    expect(r.messageIds(), "2 sent, 2 received").toEqual([hostileId, bigId]);
  }, 40_000);
});
