// A provider that reports an auth failure gets no more messages (they stay unread at the relay) until it recovers.
// Real relay, real AgentRunner, the in-process recording adapter standing in for the provider.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { type RunnerHandle, startRunnerWith } from "../../bench/support/null-runner.ts";
import { RecordingAdapter } from "../support/recording-adapter.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(() => relay.close());
const runners: RunnerHandle<RecordingAdapter>[] = [];
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop();
});

async function start(agentId: string) {
  const adapter = new RecordingAdapter();
  const r = await startRunnerWith(adapter, {
    relayUrl: relay.url,
    token: await relay.mintToken(agentId),
    agentId,
  });
  runners.push(r);
  return r;
}
const send = async (to: string, body: string) =>
  (await relay.call(relay.rootToken, "POST", "/v1/messages", { from: "tester", to, body })).body.id as number;
const unread = async (agentId: string) =>
  (
    (await relay.call(relay.rootToken, "GET", `/v1/agents/${agentId}/unread`)).body.messages as {
      id: number;
    }[]
  ).map((m) => m.id);
const record = async (agentId: string) =>
  (await relay.call(relay.rootToken, "GET", `/v1/agents/${agentId}`)).body;

describe("auth failure hold", () => {
  test("after a turn fails on authentication, messages stay unread and the relay shows the auth reason; a new turn resumes delivery", async () => {
    const r = await start("auth-hold-a");
    const first = await send("auth-hold-a", "first");
    await waitFor(() => r.adapter.deliveries.flat().includes(first), { what: "the first message delivered" });
    r.adapter.emit({ type: "turn.started" });
    r.adapter.emit({
      type: "turn.failed",
      reason: "authentication_failed: Invalid API key · Please run /login",
    });
    const agent = await waitFor(
      async () => {
        const a = await record("auth-hold-a");
        return a.meta?.conditionReason?.startsWith("auth: ") && a;
      },
      { what: "the relay to show the auth reason" },
    );
    expect(agent.semanticStatus).toBe("error");
    const held = await send("auth-hold-a", "held while the login is broken");
    await waitFor(() => r.runner.queue.pendingCount === 1, { what: "the message queued, not delivered" });
    expect(r.adapter.deliveries.flat()).toEqual([first]);
    expect(await unread("auth-hold-a")).toEqual([held]);
    // Someone logged in and ran a prompt in the session: the provider works again.
    r.adapter.emit({ type: "turn.started" });
    await waitFor(() => r.adapter.deliveries.flat().includes(held), { what: "the held message delivered" });
    await waitFor(async () => (await unread("auth-hold-a")).length === 0, { what: "nothing left unread" });
  });

  test("a provider that reports missing credentials at start gets nothing; its needs-input reason names auth", async () => {
    const r = await start("auth-hold-b");
    r.adapter.emit({ type: "needs-input", reason: "auth: Claude Code has no credentials" });
    const held = await send("auth-hold-b", "held");
    await waitFor(() => r.runner.queue.pendingCount === 1, { what: "the message queued, not delivered" });
    const agent = await record("auth-hold-b");
    expect(agent.semanticStatus).toBe("needs-input");
    expect(agent.meta.conditionReason).toBe("auth: Claude Code has no credentials");
    expect(r.adapter.deliveries).toEqual([]);
    expect(await unread("auth-hold-b")).toEqual([held]);
    // A login in the session (Claude's auth_success notification) resolves it.
    r.adapter.emit({ type: "input.resolved" });
    await waitFor(() => r.adapter.deliveries.flat().includes(held), { what: "the held message delivered" });
  });
});
