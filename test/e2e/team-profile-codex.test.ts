// A team profile projected into real Codex (fake Responses API): `up` of a team file whose profile has
// instructions, a deny rule, a skill and an MCP server; the model's requests show each of them, the denied command
// is refused, and the agent's meta reports the profile by names and counts without the MCP server's env.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CodexAgentHome, createCodexAgentHome, reapCodexLeftovers } from "../support/codex-runner.ts";
import { type FakeResponsesApi, shell, startFakeResponsesApi } from "../support/fake-responses-api.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { RUNNER_BIN } from "../support/runner.ts";
import { waitFor } from "../support/wait-for.ts";

const INSTRUCTION = "TEAM-PROFILE-INSTRUCTION-c0d: you review code for the team.";
const MCP_SERVER = join(import.meta.dir, "..", "fixtures", "mcp-echo-server.ts");
const MCP_SECRET = "sk-profile-secret-4e1";

let relay: TestRelay;
let fake: FakeResponsesApi;
let agent: CodexAgentHome;
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
  fake = await startFakeResponsesApi();
  agent = createCodexAgentHome("team-prof-cx");
  mark = join(agent.cwd, "mcp-methods.txt");
  env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: agent.home,
    TMUX_TMPDIR: agent.home,
    AGENT_RELAY_TOKEN: relay.rootToken,
    AGENT_RELAY_LOG_LEVEL: "info",
    OPENAI_API_KEY: "test-key",
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
      'deny = ["touch"]',
      'skills = ["skills/relay-review"]',
      "[profiles.reviewer.mcp_servers.teamecho]",
      `command = ${q(process.execPath)}`,
      `args = [${q(MCP_SERVER)}]`,
      `env = { MCP_ECHO_MARK = ${q(mark)}, TEAM_SECRET = ${q(MCP_SECRET)} }`,
      `[agents.${agent.agentId}]`,
      'provider = "codex"',
      'profile = "reviewer"',
      'approval_mode = "auto"',
      `model_base_url = ${q(fake.baseUrl)}`,
    ].join("\n"),
  );
});

afterAll(async () => {
  if (agent) {
    await cli("down").catch(() => {});
    await reapCodexLeftovers(agent);
    agent.remove();
  }
  await fake?.stop();
  await relay?.close();
});

describe("a team profile projected into Codex", () => {
  test("instructions reach the model, the MCP server is listed, the skill is offered, the denied command is refused; meta shows the profile", async () => {
    const denied = join(agent.cwd, "denied.txt");
    fake.script("PROFILE-CHECK-1", [shell(`touch ${denied}`)]);
    const up = await cli("up", "-d");
    expect(up.code, up.stderr).toBe(0);
    const log = join(agent.home, ".agent-relay", "logs", `${agent.agentId}.log`);
    const info = await waitFor(
      async () => {
        const got = await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}`);
        return got.body?.ready === true ? got.body : undefined;
      },
      { timeoutMs: 60_000, what: `the codex agent ready (log: ${log})` },
    );
    // The runner reports what it applied: names and counts, never the MCP server's env.
    expect(info.meta.profile).toEqual({
      name: "reviewer",
      skills: ["relay-review"],
      mcpServers: ["teamecho"],
      allow: 0,
      deny: 1,
      instructions: true,
    });
    expect(JSON.stringify(info)).not.toContain(MCP_SECRET);
    const profileFile = join(
      agent.home,
      ".agent-relay",
      "agents",
      agent.agentId,
      "team-profile",
      "profile.json",
    );
    expect(statSync(profileFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(agent.codexHome, "config.toml")).mode & 0o777).toBe(0o600);
    expect(readFileSync(log, "utf8")).not.toContain(MCP_SECRET);

    const sent = await relay.call(relay.rootToken, "POST", "/v1/commands", {
      target: agent.agentId,
      type: "agent.injectContext",
      params: { content: "please review PROFILE-CHECK-1" },
    });
    expect(sent.status).toBe(200);
    const [first, second] = await waitFor(
      () => {
        const reqs = fake.requestsFor("PROFILE-CHECK-1");
        return reqs.length >= 2 ? reqs : undefined;
      },
      { timeoutMs: 45_000, what: `the tool round-trip in model requests (log: ${log})` },
    );
    expect(first!.developerText).toContain(INSTRUCTION);
    // The skill is listed to the model with its description.
    expect(first!.developerText).toContain("relay-review");
    expect(first!.developerText).toContain("Review a change the team's way (team profile skill).");
    // MCP tools are deferred: Codex lists the server's namespace, after it listed the server's tools.
    expect(JSON.stringify(first!.body)).toContain("mcp__teamecho");
    expect(existsSync(mark) && readFileSync(mark, "utf8")).toContain("tools/list");
    // The deny rule: Codex refuses the command before it runs.
    const output = JSON.stringify(second!.body.input?.at(-1));
    expect(output).toContain("rejected: refused by the team profile reviewer");
    expect(existsSync(denied)).toBe(false);
  }, 150_000);
});
