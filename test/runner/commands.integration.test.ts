// Relay commands and control-server status end to end: inject, kill, reconnect, hook status, permission decisions.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { isProcessRunning } from "../../src/providers/tmux/process.ts";
import { receivedInputs } from "../fixtures/echo-agent-record.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { startTestRunner, stopTestRunners, type TestRunner } from "../support/runner.ts";
import { waitFor } from "../support/wait-for.ts";

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  await relay.close();
});
afterEach(stopTestRunners);

async function command(target: string, type: string, params: Record<string, unknown> = {}) {
  const created = await relay.call(relay.rootToken, "POST", "/v1/commands", { target, type, params });
  expect(created.status).toBe(200);
  return waitFor(
    async () => {
      const c = (await relay.call(relay.rootToken, "GET", `/v1/commands/${created.body.id}`)).body;
      return c.status === "succeeded" || c.status === "failed" ? c : undefined;
    },
    { timeoutMs: 15_000, what: `${type} to finish` },
  );
}

/** POST to the runner's control server as the provider (its hooks) would, with the secret from the runner. */
function control(r: TestRunner, path: string, body: unknown): Promise<Response> {
  const env = r.runner.control.childEnv(r.runner.supervisor.providerSessionId!);
  return fetch(`${r.runner.control.url}${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${env.AGENT_RELAY_CONTROL_SECRET}`,
      "content-type": "application/json",
    },
    body: JSON.stringify(body),
  });
}

const agentMeta = async (id: string) => (await relay.call(relay.rootToken, "GET", `/v1/agents/${id}`)).body;

describe("runner commands (real relay, command provider in tmux)", () => {
  test("agent.injectContext delivers the content as a system note and counts the memory ids", async () => {
    const r = await startTestRunner({ relay, agentId: "inject-a" });
    const c = await command("inject-a", "agent.injectContext", {
      content: "remember: the build uses bun",
      memoryIds: ["m1", 2],
    });
    expect(c.status, `injectContext: ${c.error}`).toBe("succeeded");
    expect(c.result).toEqual({ injected: true, memoryCount: 2 });
    const inputs = await waitFor(
      () => receivedInputs(r.recordFile).length > 0 && receivedInputs(r.recordFile),
      {
        what: "the note in the fixture",
      },
    );
    expect(inputs.map((i) => i.pasted)).toEqual(["[relay system note]\rremember: the build uses bun"]);
  });

  test("agent.kill stops the provider at once, deregisters the agent and ends the runner with code 0", async () => {
    const r = await startTestRunner({
      relay,
      agentId: "kill-a",
      fixtureEnv: { ECHO_AGENT_IGNORE_INTERRUPT: "1" },
    });
    const [start] = r.starts();
    const c = await command("kill-a", "agent.kill");
    expect(c.status).toBe("succeeded");
    expect(c.result).toEqual({ stopped: true, graceful: false });
    expect(await r.runner.done).toEqual({ code: 0, reason: "agent.kill command" });
    expect(isProcessRunning(start!.pid), "the provider process is gone").toBe(false);
    expect((await relay.call(relay.rootToken, "GET", "/v1/agents/kill-a")).status).toBe(404);
  });

  test("agent.reconnect opens a new bus session and deliveries continue on it", async () => {
    const r = await startTestRunner({ relay, agentId: "reconnect-a" });
    let connects = 0;
    r.runner.bus.on("connected", () => connects++);
    const c = await command("reconnect-a", "agent.reconnect");
    expect(c.status).toBe("succeeded");
    await waitFor(() => connects === 1 && r.runner.bus.transportState === "open", {
      what: "a new bus session",
    });
    // The relay saw a fresh hello and the status frame after it: the agent is registered, idle and online.
    const agent = await agentMeta("reconnect-a");
    expect(agent).toMatchObject({ status: "idle", ready: true });
    // Still delivering on the new session.
    const m = await relay.call(relay.rootToken, "POST", "/v1/messages", {
      from: "s",
      to: "reconnect-a",
      body: "hi",
    });
    await waitFor(() => r.messageIds().includes(m.body.id), { what: "a message after the reconnect" });
  });

  test("status posted to the control server counts only for the current provider session", async () => {
    const r = await startTestRunner({ relay, agentId: "hooks-a" });
    const old = r.runner.supervisor.providerSessionId!;
    const started = await control(r, "/v1/provider/status", {
      event: "subagent-started",
      providerSessionId: old,
      subagentId: "sub-1",
      label: "researcher",
    });
    expect(started.status).toBeLessThan(300);
    const busy = await waitFor(
      async () => {
        const a = await agentMeta("hooks-a");
        return a.meta?.subagentCount === 1 ? a : undefined;
      },
      { what: "the relay to show 1 subagent" },
    );
    expect(busy.semanticStatus).toBe("busy");
    expect(busy.meta.activeSubagents).toEqual([{ id: "sub-1", label: "researcher" }]);

    const restart = await command("hooks-a", "agent.restart");
    expect(restart.status).toBe("succeeded");
    expect(r.runner.work.has("subagent", "sub-1"), "a restart clears the old session's subagents").toBe(
      false,
    );
    // A late hook from the old session must not make the new one look busy.
    await control(r, "/v1/provider/status", {
      event: "subagent-started",
      providerSessionId: old,
      subagentId: "ghost",
    });
    const current = r.runner.supervisor.providerSessionId!;
    await control(r, "/v1/provider/status", {
      event: "context-usage",
      providerSessionId: current,
      usedTokens: 1234,
    });
    await waitFor(() => r.runner.events.facts.contextUsage?.usedTokens === 1234, {
      what: "the current event",
    });
    expect(r.runner.work.has("subagent", "ghost"), "the stale event was ignored").toBe(false);
    expect(r.runner.work.semanticStatus).toBe("idle");
  });

  test("a permission request waits until agent.permissionDecision arrives over the relay", async () => {
    const r = await startTestRunner({ relay, agentId: "perm-a" });
    const asking = control(r, "/v1/permissions", {
      providerSessionId: r.runner.supervisor.providerSessionId,
      tool: "Bash",
      detail: "rm -rf build/",
      timeoutMs: 20_000,
    });
    const waiting = await waitFor(
      async () => {
        const a = await agentMeta("perm-a");
        return a.meta?.pendingPermissions?.length === 1 ? a : undefined;
      },
      { what: "the pending permission on the relay" },
    );
    expect(waiting.semanticStatus).toBe("needs-input");
    const request = waiting.meta.pendingPermissions[0];
    expect(request).toMatchObject({ tool: "Bash", detail: "rm -rf build/" });
    const decided = await command("perm-a", "agent.permissionDecision", {
      approvalId: request.approvalId,
      decision: "deny",
    });
    expect(decided.status, `permissionDecision: ${decided.error}`).toBe("succeeded");
    const answer = await (await asking).json();
    expect(answer).toMatchObject({ approvalId: request.approvalId, decision: "deny" });
    await waitFor(() => r.runner.work.semanticStatus === "idle", { what: "needs-input to clear" });
  });
});
