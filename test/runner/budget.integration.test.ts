// A budget (--max-cost-usd) with a real relay and a real AgentRunner, the in-process recording adapter standing in
// for the provider: once the reported cost reaches it, new messages stay queued and the agent is needs-input
// (budget) — and a permission answered or a dialog closed meanwhile does not lift that hold.
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

const send = async (to: string, body: string) =>
  (await relay.call(relay.rootToken, "POST", "/v1/messages", { from: "tester", to, body })).body.id as number;
const record = async (agentId: string) =>
  (await relay.call(relay.rootToken, "GET", `/v1/agents/${agentId}`)).body;

describe("budget", () => {
  test("reaching --max-cost-usd holds new messages with needs-input (budget); answering a permission keeps the hold", async () => {
    const agentId = "budget-a";
    const adapter = new RecordingAdapter();
    const r = await startRunnerWith(adapter, {
      relayUrl: relay.url,
      token: await relay.mintToken(agentId),
      agentId,
      extraArgs: ["--max-cost-usd", "0.5"],
    });
    runners.push(r);
    const first = await send(agentId, "first");
    await waitFor(() => adapter.deliveries.flat().includes(first), { what: "the first message delivered" });
    adapter.emit({ type: "usage.totals", inputTokens: 1000, outputTokens: 100, costUsd: 0.2 });
    expect(r.runner.queue.pendingCount).toBe(0);
    adapter.emit({ type: "usage.totals", inputTokens: 5000, outputTokens: 500, costUsd: 0.5 });
    const held = await waitFor(
      async () => {
        const a = await record(agentId);
        return a.semanticStatus === "needs-input" && a;
      },
      { what: "needs-input on the relay" },
    );
    expect(held.meta.conditionReason).toBe("budget");
    expect(held.meta.usage).toEqual({ inputTokens: 5000, outputTokens: 500, costUsd: 0.5, maxCostUsd: 0.5 });

    await send(agentId, "held");
    await waitFor(() => r.runner.queue.pendingCount === 1, { what: "the message queued, not delivered" });
    // A permission asked and answered meanwhile: its end clears its own needs-input, not the budget's.
    const request = { approvalId: "ap-1", tool: "Bash", detail: "ls" };
    adapter.emit({ type: "permission.requested", request });
    adapter.emit({ type: "permission.resolved", approvalId: "ap-1" });
    adapter.emit({ type: "input.resolved" });
    await waitFor(async () => (await record(agentId)).meta?.pendingPermissions?.length === 0, {
      what: "the permission resolved on the relay",
    });
    expect((await record(agentId)).meta.conditionReason).toBe("budget");
    expect(adapter.deliveries.flat()).toEqual([first]);
    expect(r.runner.queue.pendingCount).toBe(1);
  });
});
