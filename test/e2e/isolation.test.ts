// End to end under --isolate on: the real Claude Code CLI runs inside bubblewrap, still gets relay messages through
// its monitor, still answers through the messaging CLI, and cannot read the relay's root token.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  agentProcesses,
  type ClaudeAgentHome,
  type ClaudeRunnerChild,
  createClaudeAgentHome,
  reapClaudeLeftovers,
  startClaudeRunner,
} from "../support/claude-runner.ts";
import {
  type CodexAgentHome,
  type CodexRunnerChild,
  createCodexAgentHome,
  reapCodexLeftovers,
  startCodexRunner,
} from "../support/codex-runner.ts";
import { FakeAnthropicApi } from "../support/fake-anthropic-api.ts";
import { type FakeResponsesApi, shell, startFakeResponsesApi, text } from "../support/fake-responses-api.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";

setDefaultTimeout(90_000);

let relay: TestRelay;
let fake: FakeAnthropicApi;
let responses: FakeResponsesApi;
beforeAll(async () => {
  relay = await startTestRelay();
  fake = new FakeAnthropicApi().start();
  responses = await startFakeResponsesApi();
});
afterAll(async () => {
  await fake?.stop();
  await responses?.stop();
  await relay?.close();
});

const agents: ClaudeAgentHome[] = [];
const codexAgents: CodexAgentHome[] = [];
const children: (ClaudeRunnerChild | CodexRunnerChild)[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await c.kill();
  for (const a of agents.splice(0)) {
    await reapClaudeLeftovers(a);
    a.remove();
  }
  for (const a of codexAgents.splice(0)) {
    await reapCodexLeftovers(a);
    a.remove();
  }
});

/** relay.json with the root token in the agent's HOME: what an agent would read if it could. */
function plantRelayJson(home: string): void {
  const relayDir = join(home, ".agent-relay");
  mkdirSync(relayDir, { recursive: true });
  writeFileSync(join(relayDir, "relay.json"), JSON.stringify({ url: relay.url, rootToken: relay.rootToken }));
}

async function replyTo(id: number) {
  return waitFor(
    async () => {
      const unread = await relay.call(relay.rootToken, "GET", "/v1/agents/tester/unread");
      // biome-ignore lint/suspicious/noExplicitAny: loose read of the answer.
      return unread.body.messages.find((m: any) => m.replyTo === id);
    },
    { timeoutMs: 45_000, what: "the isolated agent's reply on the relay" },
  );
}

describe("claude under --isolate on", () => {
  test("a message reaches the model, the model's reply reaches the relay, relay.json stays out of reach", async () => {
    const agent = createClaudeAgentHome("claude-isolated");
    agents.push(agent);
    plantRelayJson(agent.home);
    fake.script({
      match: "ISOLATED-REPLY",
      once: true,
      reply: (req) => {
        const id = /\[relay message #(\d+) from /.exec(req.lastUserText)?.[1] ?? "0";
        return {
          kind: "bash",
          command: `cat ~/.agent-relay/relay.json; "$AGENT_RELAY_BIN" msg reply ${id} 'pong from a sandbox'`,
        };
      },
    });
    const token = await relay.mintToken(agent.agentId);
    const child = await startClaudeRunner({
      relay,
      fake,
      agent,
      token,
      monitor: "on",
      // full: the cat below is not a pre-approved shape, and no person is there to approve it.
      extraArgs: ["--isolate", "on", "--approval-mode", "full"],
    });
    children.push(child);
    const sent = await relay.call(relay.rootToken, "POST", "/v1/messages", {
      to: agent.agentId,
      from: "tester",
      body: "ISOLATED-REPLY please",
    });
    const reply = await replyTo(sent.body.id);
    expect(reply.from).toBe(agent.agentId);
    expect(reply.body).toBe("pong from a sandbox");
    // What the model heard back from its tool: the cat failed, and no root token was in it.
    const heard = await waitFor(
      () => fake.requests.map((r) => JSON.stringify(r.body ?? "")).find((t) => t.includes('"tool_result"')),
      { what: "the tool result in a model request" },
    );
    expect(heard).toContain("No such file or directory");
    expect(heard).not.toContain(relay.rootToken);

    // Claude names its state file by its pid inside the namespace; the runner reads it there.
    expect(existsSync(join(agent.configDir, "sessions", "2.json"))).toBe(true);
    await waitFor(
      async () =>
        (await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}`)).body.semanticStatus ===
        "idle",
      { timeoutMs: 20_000, what: "the agent idle again after its turn" },
    );

    expect(await child.terminate()).toBe(0);
    await waitFor(async () => (await agentProcesses(agent)).length === 0, {
      timeoutMs: 5_000,
      what: "no process left under the agent's HOME",
    });
  });
});

describe("codex under --isolate on", () => {
  test("a message becomes a turn, the reply reaches the relay, relay.json stays out of reach", async () => {
    responses.script("ISOLATED-CODEX", (userText) => {
      const id = /\[relay message #(\d+) from /.exec(userText)?.[1] ?? "0";
      return [
        shell("cat ~/.agent-relay/relay.json 2>&1 || echo RELAY-JSON-UNREADABLE"),
        shell(`"$AGENT_RELAY_BIN" msg reply ${id} 'pong from a codex sandbox'`),
        text("replied"),
      ];
    });
    const agent = createCodexAgentHome("codex-isolated");
    codexAgents.push(agent);
    plantRelayJson(agent.home);
    const token = await relay.mintToken(agent.agentId);
    const child = await startCodexRunner({
      relay,
      fake: responses,
      agent,
      token,
      extraArgs: ["--isolate", "on"],
    });
    children.push(child);
    const sent = await relay.call(relay.rootToken, "POST", "/v1/messages", {
      to: agent.agentId,
      from: "tester",
      body: "ISOLATED-CODEX please",
    });
    const reply = await replyTo(sent.body.id);
    expect(reply.from).toBe(agent.agentId);
    expect(reply.body).toBe("pong from a codex sandbox");
    const heard = JSON.stringify(responses.requestsFor("ISOLATED-CODEX").map((r) => r.body));
    expect(heard).toContain("RELAY-JSON-UNREADABLE");
    expect(heard).not.toContain(relay.rootToken);
    expect(await child.terminate()).toBe(0);
  });
});
