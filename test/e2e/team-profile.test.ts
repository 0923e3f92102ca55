// A team profile projected into real Claude Code (fake model): `up` of a team file whose profile has instructions,
// a deny rule, a skill and an MCP server; the model's request shows each of them.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type ClaudeAgentHome,
  createClaudeAgentHome,
  reapClaudeLeftovers,
} from "../support/claude-runner.ts";
import { FakeAnthropicApi } from "../support/fake-anthropic-api.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { RUNNER_BIN } from "../support/runner.ts";
import { waitFor } from "../support/wait-for.ts";

const INSTRUCTION = "TEAM-PROFILE-INSTRUCTION-7f3: you review code for the team.";
const MCP_SERVER = join(import.meta.dir, "..", "fixtures", "mcp-echo-server.ts");

let relay: TestRelay;
let fake: FakeAnthropicApi;
let agent: ClaudeAgentHome;
let env: Record<string, string>;
let mark: string;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([RUNNER_BIN, ...args], { cwd: agent.cwd, env, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  relay = await startTestRelay();
  fake = new FakeAnthropicApi().start();
  agent = createClaudeAgentHome("team-prof");
  mark = join(agent.cwd, "mcp-methods.txt");
  env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: agent.home,
    TMUX_TMPDIR: agent.home,
    AGENT_RELAY_TOKEN: relay.rootToken,
    AGENT_RELAY_LOG_LEVEL: "info",
    ANTHROPIC_API_KEY: "test-key",
    DISABLE_AUTOUPDATER: "1",
  };
  const skill = join(agent.cwd, "skills", "relay-review");
  mkdirSync(skill, { recursive: true });
  writeFileSync(
    join(skill, "SKILL.md"),
    "---\nname: relay-review\ndescription: Review a change the team's way (team profile skill).\n---\n\nRead the diff, then answer.\n",
  );
  const q = JSON.stringify;
  writeFileSync(
    join(agent.cwd, "team.toml"),
    [
      "[relay]",
      `url = ${q(relay.url)}`,
      "[profiles.reviewer]",
      `instructions = ${q(INSTRUCTION)}`,
      'deny = ["Bash"]',
      'skills = ["skills/relay-review"]',
      "[profiles.reviewer.mcp_servers.teamecho]",
      `command = ${q(process.execPath)}`,
      `args = [${q(MCP_SERVER)}]`,
      `env = { MCP_ECHO_MARK = ${q(mark)} }`,
      `[agents.${agent.agentId}]`,
      'provider = "claude"',
      'profile = "reviewer"',
      `model_base_url = ${q(fake.url)}`,
    ].join("\n"),
  );
});

afterAll(async () => {
  if (agent) {
    await cli("down").catch(() => {});
    await reapClaudeLeftovers(agent);
    agent.remove();
  }
  await fake?.stop();
  await relay?.close();
});

describe("a team profile projected into Claude Code", () => {
  test("instructions reach the system prompt, the MCP server's tool is offered, the denied tool is not, the skill is listed", async () => {
    const up = await cli("up", "-d");
    expect(up.code, up.stderr).toBe(0);
    const log = join(agent.home, ".agent-relay", "logs", `${agent.agentId}.log`);
    await waitFor(
      async () =>
        (await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}`)).body?.ready === true,
      { timeoutMs: 60_000, what: `the claude agent ready (log: ${log})` },
    );
    const mcpConfig = join(agent.home, ".agent-relay", "agents", agent.agentId, "team-profile", "mcp.json");
    expect(statSync(mcpConfig).mode & 0o777).toBe(0o600);
    // The runner reports the profile it was given: names and counts, never the MCP server's env.
    const info = (await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}`)).body;
    expect(info.meta.profile).toEqual({
      name: "reviewer",
      skills: ["relay-review"],
      mcpServers: ["teamecho"],
      allow: 0,
      deny: 1,
      instructions: true,
    });
    expect(JSON.stringify(info)).not.toContain(mark);

    // Claude connects MCP servers in the background after its prompt shows: wait until it has listed the tools.
    await waitFor(() => existsSync(mark) && readFileSync(mark, "utf8").includes("tools/list"), {
      timeoutMs: 30_000,
      what: "Claude listing the profile's MCP server tools",
    });
    // A typed prompt, not a relay message: a message goes through the plugin monitor, and a turn a monitor
    // notification starts carries no list of deferred tools or skills; injected context is pasted as a prompt.
    const sent = await relay.call(relay.rootToken, "POST", "/v1/commands", {
      target: agent.agentId,
      type: "agent.injectContext",
      params: { content: "please review PROFILE-CHECK-1" },
    });
    expect(sent.status).toBe(200);
    const req = await waitFor(() => fake.requestsContaining("PROFILE-CHECK-1")[0], {
      timeoutMs: 45_000,
      what: `the message in a model request (log: ${readFileSync(log, "utf8").slice(-1500)})`,
    });
    const body = req.body as { tools?: { name: string }[] };
    const tools = (body.tools ?? []).map((t) => t.name);
    expect(req.allText).toContain(INSTRUCTION);
    // MCP tools are deferred (found through ToolSearch): Claude lists them by name in the request.
    expect(JSON.stringify(req.body)).toContain("mcp__teamecho__team_echo");
    expect(tools).not.toContain("Bash");
    expect(tools).toContain("Read");
    // The skill, from the profile's private plugin, is offered with its description.
    expect(JSON.stringify(req.body)).toContain(
      "team-profile-reviewer:relay-review: Review a change the team's way (team profile skill).",
    );
  }, 150_000);
});
