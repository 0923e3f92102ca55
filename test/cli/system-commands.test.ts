// Seeing and steering the system from a shell: `agents`, `permissions`, `approve|deny`, `stop|compact|clear`.
// The real bin against a real relay; the "runners" are bus sessions that report meta and answer commands.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestRelay, type TestBus, type TestRelay } from "../support/relay.ts";
import { cleanupCommandClis, spawnCommandCli } from "../support/runner-cli.ts";
import { type CliResult, runCli } from "./run-cli.ts";

setDefaultTimeout(30_000);

let t: TestRelay;
let home: string;
let env: Record<string, string>;
let asker: TestBus;
let broken: TestBus;

const ASK_META = {
  provider: "claude",
  semanticStatus: "needs-input",
  conditionReason: "permission: Bash\u001b[2J",
  activeWork: [{ kind: "task", id: 7 }],
  contextUsage: { usedTokens: 1200, maxTokens: 200000 },
  pendingPermissions: [
    { approvalId: "perm-1", tool: "Bash", detail: "rm -rf build\nand more" },
    { approvalId: "perm-2", tool: "Edit", detail: "--- a/x.ts\n+++ b/x.ts" },
  ],
};

beforeAll(async () => {
  t = await startTestRelay();
  home = mkdtempSync(join(tmpdir(), "cli-sys-home-"));
  env = { HOME: home, AGENT_RELAY_URL: t.url, AGENT_RELAY_TOKEN: t.rootToken };
  asker = await t.openBus({ agentId: "sys-asker", label: "lead", status: "busy" });
  broken = await t.openBus({ agentId: "sys-broken", status: "error" });
  const liveness = (agentId: string, body: Record<string, unknown>) =>
    t.call(t.rootToken, "POST", `/v1/agents/${agentId}/liveness`, { instanceId: `inst-${agentId}`, ...body });
  expect(
    (
      await liveness("sys-asker", {
        status: "busy",
        semanticStatus: "needs-input",
        ready: true,
        meta: ASK_META,
      })
    ).status,
  ).toBe(200);
  const brokenMeta = { provider: "codex", lastFailure: "provider exited with code 1" };
  expect((await liveness("sys-broken", { status: "error", ready: false, meta: brokenMeta })).status).toBe(
    200,
  );
});
afterAll(async () => {
  await asker.close();
  await broken.close();
  await t.close();
  rmSync(home, { recursive: true, force: true });
});

/** Run the CLI while `bus` (the agent's runner) answers the one command it is sent with `outcome`. */
async function withRunner(
  bus: TestBus,
  args: string[],
  outcome: Record<string, unknown>,
): Promise<{ cli: CliResult; command: { type: string; params: Record<string, unknown> } }> {
  const seen = bus.frames.length;
  const cli = runCli(args, { env });
  const frame = await bus.waitForFrame((f) => f.type === "command" && bus.frames.indexOf(f) >= seen);
  const command = frame.command as { id: string; type: string; params: Record<string, unknown> };
  const set = await t.call(t.rootToken, "POST", `/v1/commands/${command.id}/status`, outcome);
  expect(set.status).toBe(200);
  return { cli: await cli, command };
}

describe("agents", () => {
  test("lists each registered agent with provider, status, the reason for needs-input or error, task and last seen", async () => {
    const r = await runCli(["agents"], { env });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const [head, ...rows] = r.stdout.trimEnd().split("\n");
    expect(head).toMatch(/^AGENT +LABEL +PROVIDER +STATUS +TASK +CONTEXT +LAST SEEN +REASON$/);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(
      /^sys-asker +lead +claude +needs-input +7 +1200\/200000 +\d+s ago +permission: Bash \[2J$/,
    );
    expect(rows[1]).toMatch(/^sys-broken +- +codex +error +- +- +\d+s ago +provider exited with code 1$/);
  });

  test("--json prints the same facts as JSON", async () => {
    const r = await runCli(["agents", "--json"], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject([
      {
        id: "sys-asker",
        label: "lead",
        provider: "claude",
        status: "needs-input",
        reason: "permission: Bash\u001b[2J",
        task: 7,
        pendingPermissions: 2,
      },
      { id: "sys-broken", provider: "codex", status: "error", reason: "provider exited with code 1" },
    ]);
    // The escape is JSON-escaped, never raw.
    expect(r.stdout).not.toContain("\u001b");
  });

  test("with no agent registered it says so; a relay that refuses the token is one line and exit 1", async () => {
    const empty = await startTestRelay();
    try {
      const r = await runCli(["agents"], {
        env: { ...env, AGENT_RELAY_URL: empty.url, AGENT_RELAY_TOKEN: empty.rootToken },
      });
      expect(r).toMatchObject({ code: 0, stdout: "no registered agents\n", stderr: "" });
      const bad = await runCli(["agents"], { env: { ...env, AGENT_RELAY_TOKEN: "nope" } });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/^agent-relay-runner agents: relay answered 401 unauthorized: .*\n$/);
    } finally {
      await empty.close();
    }
  });
});

describe("permissions, approve and deny", () => {
  test("permissions lists every pending request with its agent, tool and request on one line", async () => {
    const r = await runCli(["permissions"], { env });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatch(
      /^ID +AGENT +TOOL +REQUEST\nperm-1 +sys-asker +Bash +rm -rf build and more\nperm-2 +sys-asker +Edit +--- a\/x\.ts \+\+\+ b\/x\.ts\n$/,
    );
    const json = JSON.parse((await runCli(["permissions", "--json"], { env })).stdout);
    expect(json).toEqual([
      { agentId: "sys-asker", ...ASK_META.pendingPermissions[0] },
      { agentId: "sys-asker", ...ASK_META.pendingPermissions[1] },
    ]);
  });

  test("approve sends agent.permissionDecision to the agent that asked and prints the outcome", async () => {
    const { cli, command } = await withRunner(asker, ["approve", "perm-1"], {
      status: "succeeded",
      result: { approvalId: "perm-1", decision: "approve" },
    });
    expect(command).toMatchObject({
      type: "agent.permissionDecision",
      params: { approvalId: "perm-1", decision: "approve" },
    });
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/^\S+ succeeded \{"approvalId":"perm-1","decision":"approve"\}\n$/);
  });

  test("approve --session and deny send their decisions; a runner that fails the command makes it exit 1", async () => {
    const session = await withRunner(asker, ["approve", "perm-2", "--session"], { status: "succeeded" });
    expect(session.command.params).toEqual({ approvalId: "perm-2", decision: "approve-session" });
    const denied = await withRunner(asker, ["deny", "perm-1", "--agent", "sys-asker"], {
      status: "failed",
      error: 'no pending permission request with id "perm-1"',
    });
    expect(denied.command.params).toEqual({ approvalId: "perm-1", decision: "deny" });
    expect(denied.cli.code).toBe(1);
    expect(denied.cli.stdout).toMatch(/^\S+ failed: no pending permission request with id "perm-1"\n$/);
  });

  test("an id nobody has pending is an error naming it, and nothing is sent", async () => {
    const before = asker.frames.length;
    const r = await runCli(["deny", "perm-404"], { env });
    expect(r).toMatchObject({
      code: 1,
      stdout: "",
      stderr:
        "agent-relay-runner deny: no pending permission request 'perm-404' (see agent-relay-runner permissions)\n",
    });
    const wrongAgent = await runCli(["approve", "perm-1", "--agent", "sys-broken"], { env });
    expect(wrongAgent.code).toBe(1);
    expect(wrongAgent.stderr).toContain("no pending permission request 'perm-1' for 'sys-broken'");
    expect(asker.frames.length).toBe(before);
  });
});

describe("stop, compact, clear", () => {
  test("each sends its command to the agent and waits for the outcome", async () => {
    const cases = [
      ["stop", "agent.shutdown"],
      ["compact", "agent.compact"],
      ["clear", "agent.clearContext"],
    ] as const;
    for (const [verb, type] of cases) {
      const { cli, command } = await withRunner(broken, [verb, "sys-broken"], {
        status: "succeeded",
        result: { done: verb },
      });
      expect(command.type).toBe(type);
      expect(cli).toMatchObject({ code: 0, stderr: "" });
      expect(cli.stdout).toMatch(new RegExp(`^\\S+ succeeded \\{"done":"${verb}"\\}\\n$`));
    }
  });

  test("--no-wait prints the id at once; an unknown agent fails at once; a failed command exits 1", async () => {
    const quick = await runCli(["compact", "sys-broken", "--no-wait", "--json"], { env });
    expect(quick.code).toBe(0);
    expect(JSON.parse(quick.stdout)).toMatchObject({ type: "agent.compact", status: "pending" });
    const unknown = await runCli(["stop", "sys-nobody"], { env });
    expect(unknown).toMatchObject({
      code: 1,
      stdout: "",
      stderr:
        "agent-relay-runner stop: relay answered 404 not_found: no registered agent or runner answers to 'sys-nobody'\n",
    });
    const failed = await withRunner(broken, ["clear", "sys-broken"], {
      status: "failed",
      error: "the codex provider cannot clear its context",
    });
    expect(failed.cli.code).toBe(1);
    expect(failed.cli.stdout).toMatch(/^\S+ failed: the codex provider cannot clear its context\n$/);
    const badId = await runCli(["stop", "label:x"], { env });
    expect(badId.code).toBe(2);
    expect(badId.stderr).toStartWith("agent-relay-runner stop: <agent>: ");
  });
});

describe("with a real runner", () => {
  afterEach(cleanupCommandClis);

  test("agents shows a command-provider agent; compact fails with the runner's reason; stop stops it and waits", async () => {
    const c = spawnCommandCli({ agentId: "sys-real", relayUrl: t.url, token: t.rootToken });
    await c.up();
    const listed = await runCli(["agents"], { env });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/\nsys-real +- +command +idle +- +- +\d+s ago\n/);

    const compact = await runCli(["compact", "sys-real"], { env });
    expect(compact.code).toBe(1);
    expect(compact.stdout).toMatch(/^\S+ failed: .*compact.*\n$/);

    const stop = await runCli(["stop", "sys-real"], { env });
    expect(stop).toMatchObject({ code: 0, stderr: "" });
    expect(stop.stdout).toMatch(/^\S+ succeeded \{"stopped":true,"graceful":true\}\n$/);
    expect(await c.runner.exited).toBe(0);
  });
});
