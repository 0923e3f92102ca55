// What the Claude end-to-end files share: a relay and the fake model per file, the agents and runners a test started
// (none outlives it), and how a test talks to them (send as "tester", read the agent's record, see the model hear it).
import { afterAll, afterEach, beforeAll, expect } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { agentTmuxSocket, tmuxSocketPath } from "../../src/providers/tmux/index.ts";
import {
  agentProcesses,
  type ClaudeAgentHome,
  type ClaudeRunnerChild,
  claudeProcesses,
  createClaudeAgentHome,
  reapClaudeLeftovers,
  type StartClaudeRunnerOptions,
  startClaudeRunner,
} from "../support/claude-runner.ts";
import { FakeAnthropicApi, type RecordedRequest } from "../support/fake-anthropic-api.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";

export interface ClaudeE2eRig {
  readonly relay: TestRelay;
  readonly fake: FakeAnthropicApi;
  /** Removed (and their leftovers reaped) after each test. */
  readonly agents: ClaudeAgentHome[];
  /** Killed after each test. */
  readonly children: ClaudeRunnerChild[];
  /** A new agent home and its runner (started until the agent is up), both cleaned up after the test. */
  start(
    prefix: string,
    o: Omit<StartClaudeRunnerOptions, "relay" | "fake" | "agent" | "token">,
  ): Promise<{ agent: ClaudeAgentHome; child: ClaudeRunnerChild }>;
  /** A message from "tester" (the root token speaking for it) to the agent. */
  send(
    agent: ClaudeAgentHome,
    body: string,
    payload?: Record<string, unknown>,
    /** More fields of the message (e.g. `urgent: true`). */
    extra?: Record<string, unknown>,
  ): Promise<{ id: number }>;
  /** The recipient's delivery receipt now (state, and midTurn once seen). */
  receipt(id: number): Promise<{ state: string; midTurn?: boolean } | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: the relay's agent record and meta are free-form JSON.
  agentRecord(agent: ClaudeAgentHome): Promise<Record<string, any>>;
  // biome-ignore lint/suspicious/noExplicitAny: free-form JSON.
  agentMeta(agent: ClaudeAgentHome): Promise<Record<string, any>>;
  agentStatus(agent: ClaudeAgentHome): Promise<string | undefined>;
  /** The first main-loop model request carrying the relay header of message `id`. */
  modelSawMessage(id: number, timeoutMs?: number): Promise<RecordedRequest>;
  /** Graceful stop (SIGTERM): the runner exits 0 and nothing started under the agent's HOME keeps running. */
  stopAndExpectNothingLeft(agent: ClaudeAgentHome, child: ClaudeRunnerChild): Promise<void>;
}

/** Registers the file's before/after hooks; the relay and the fake exist from the first test on. */
export function claudeE2eRig(): ClaudeE2eRig {
  let relay: TestRelay | undefined;
  let fake: FakeAnthropicApi | undefined;
  const must = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error("the rig starts before the first test");
    return v;
  };
  const rig: ClaudeE2eRig = {
    get relay() {
      return must(relay);
    },
    get fake() {
      return must(fake);
    },
    agents: [],
    children: [],
    async start(prefix, o) {
      const agent = createClaudeAgentHome(prefix);
      rig.agents.push(agent);
      const token = await rig.relay.mintToken(agent.agentId);
      const child = await startClaudeRunner({ relay: rig.relay, fake: rig.fake, agent, token, ...o });
      rig.children.push(child);
      return { agent, child };
    },
    async send(agent, body, payload = {}, extra = {}) {
      const to = agent.agentId;
      const res = await rig.relay.call(rig.relay.rootToken, "POST", "/v1/messages", {
        to,
        from: "tester",
        body,
        payload,
        ...extra,
      });
      expect(res.status).toBe(200);
      return res.body as { id: number };
    },
    async agentRecord(agent) {
      const res = await rig.relay.call(rig.relay.rootToken, "GET", `/v1/agents/${agent.agentId}`);
      return res.status === 200 ? res.body : {};
    },
    receipt: async (id) =>
      (await rig.relay.call(rig.relay.rootToken, "GET", `/v1/messages/${id}`)).body.receipts?.[0],
    agentMeta: async (agent) => (await rig.agentRecord(agent)).meta ?? {},
    agentStatus: async (agent) => (await rig.agentRecord(agent)).semanticStatus as string | undefined,
    modelSawMessage: (id, timeoutMs = 20_000) =>
      waitFor(() => rig.fake.requestsContaining(`[relay message #${id} from tester]`)[0], {
        timeoutMs,
        what: `the model to see relay message #${id}`,
      }),
    stopAndExpectNothingLeft,
  };
  beforeAll(async () => {
    relay = await startTestRelay();
    fake = new FakeAnthropicApi().start();
  });
  afterAll(async () => {
    await fake?.stop();
    await relay?.close();
  });
  afterEach(async () => {
    // Whatever a test did (or where it failed), no runner, Claude, hook, monitor or tmux server outlives it.
    for (const c of rig.children.splice(0)) await c.kill();
    for (const a of rig.agents.splice(0)) {
      await reapClaudeLeftovers(a);
      a.remove();
    }
  });
  return rig;
}

/** Graceful stop (SIGTERM): the runner exits 0 and nothing started under the agent's HOME keeps running. */
async function stopAndExpectNothingLeft(agent: ClaudeAgentHome, child: ClaudeRunnerChild): Promise<void> {
  // The checks below can see these processes: before the stop they find the runner and Claude.
  expect((await claudeProcesses(agent)).length).toBeGreaterThan(0);
  expect(await child.terminate()).toBe(0);
  // Hooks and the monitor notice Claude is gone within about a second: wait for that, bounded.
  await waitFor(async () => (await agentProcesses(agent)).length === 0, {
    timeoutMs: 5_000,
    what: "no process left under the agent's HOME",
  }).catch(() => {});
  expect(await claudeProcesses(agent)).toEqual([]);
  expect(await agentProcesses(agent)).toEqual([]);
  // Nothing left behind either: the runner's tmux socket file, or Claude's claude-cli:// URL handler registered
  // in the person's HOME (outside the agent's private config dir).
  expect(existsSync(tmuxSocketPath(agentTmuxSocket(agent.agentId), {}))).toBe(false);
  expect(
    existsSync(join(agent.home, ".local", "share", "applications", "claude-code-url-handler.desktop")),
  ).toBe(false);
}
