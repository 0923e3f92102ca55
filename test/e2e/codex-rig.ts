// What the Codex end-to-end files share: a relay and the fake model per file, the agents and runners a test started
// (none outlives it), and how a test talks to them (send as "tester", read the agent's record and receipts).
import { afterAll, afterEach, beforeAll, expect } from "bun:test";
import {
  type CodexAgentHome,
  type CodexRunnerChild,
  createCodexAgentHome,
  reapCodexLeftovers,
  type StartCodexRunnerOptions,
  startCodexRunner,
} from "../support/codex-runner.ts";
import { type FakeResponsesApi, startFakeResponsesApi } from "../support/fake-responses-api.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

export interface CodexE2eRig {
  readonly relay: TestRelay;
  readonly fake: FakeResponsesApi;
  /** A new agent home, or the given one again (a restart), with its runner started until the agent is up. */
  start(
    agent: CodexAgentHome | string,
    o?: Omit<StartCodexRunnerOptions, "relay" | "fake" | "agent" | "token">,
  ): Promise<{ agent: CodexAgentHome; child: CodexRunnerChild }>;
  /** A message from "tester" (the root token speaking for it); `extra`: more fields (e.g. `urgent: true`). */
  send(agent: CodexAgentHome, body: string, extra?: Record<string, unknown>): Promise<{ id: number }>;
  // biome-ignore lint/suspicious/noExplicitAny: the relay's agent record is free-form JSON.
  agentRecord(agent: CodexAgentHome): Promise<Record<string, any>>;
  /** The (first) recipient's delivery receipt now. */
  receipt(id: number): Promise<{ state: string; midTurn?: boolean } | undefined>;
}

/** Registers the file's before/after hooks; the relay and the fake exist from the first test on. */
export function codexE2eRig(): CodexE2eRig {
  let relay: TestRelay | undefined;
  let fake: FakeResponsesApi | undefined;
  const must = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error("the rig starts before the first test");
    return v;
  };
  const agents = new Set<CodexAgentHome>();
  const children: CodexRunnerChild[] = [];
  const rig: CodexE2eRig = {
    get relay() {
      return must(relay);
    },
    get fake() {
      return must(fake);
    },
    async start(agentOrPrefix, o = {}) {
      const agent = typeof agentOrPrefix === "string" ? createCodexAgentHome(agentOrPrefix) : agentOrPrefix;
      agents.add(agent);
      const token = await rig.relay.mintToken(agent.agentId);
      const child = await startCodexRunner({ relay: rig.relay, fake: rig.fake, agent, token, ...o });
      children.push(child);
      return { agent, child };
    },
    async send(agent, body, extra = {}) {
      const res = await rig.relay.call(rig.relay.rootToken, "POST", "/v1/messages", {
        to: agent.agentId,
        from: "tester",
        body,
        ...extra,
      });
      expect(res.status).toBe(200);
      return res.body as { id: number };
    },
    agentRecord: async (agent) =>
      (await rig.relay.call(rig.relay.rootToken, "GET", `/v1/agents/${agent.agentId}`)).body ?? {},
    receipt: async (id) =>
      (await rig.relay.call(rig.relay.rootToken, "GET", `/v1/messages/${id}`)).body.receipts?.[0],
  };
  beforeAll(async () => {
    relay = await startTestRelay();
    fake = await startFakeResponsesApi();
  });
  afterAll(async () => {
    await fake?.stop();
    await relay?.close();
  });
  afterEach(async () => {
    // Whatever a test did (or where it failed), no runner, Codex or shell outlives it.
    for (const c of children.splice(0)) await c.kill();
    for (const a of agents) {
      await reapCodexLeftovers(a);
      a.remove();
    }
    agents.clear();
  });
  return rig;
}
