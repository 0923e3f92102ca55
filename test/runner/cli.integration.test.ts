// The real `agent-relay-runner --provider command` as a child process: shutdown by command, by signal, bad options.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTmux } from "../../src/providers/tmux/run.ts";
import { agentTmuxSocket } from "../../src/providers/tmux/socket-name.ts";
import { readRunnerInfoFile } from "../../src/runner/info-file.ts";
import { echoAgentCommand, readEchoRecord, receivedInputs } from "../fixtures/echo-agent-record.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { type RunnerProcess, spawnRunnerCli } from "../support/runner.ts";
import { waitFor } from "../support/wait-for.ts";

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  await relay.close();
});

interface Child {
  runner: RunnerProcess;
  agentId: string;
  dir: string;
  record: string;
  /** Named by the env twin AGENT_RELAY_RUNNER_INFO_FILE. */
  infoFile: string;
  tmuxEnv: Record<string, string>;
  socket: string;
}
const children: Child[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    await c.runner.kill();
    // Whatever the test did, the child's private tmux server must not outlive it.
    await runTmux(c.socket, ["kill-server"], { env: c.tmuxEnv }).catch(() => {});
    rmSync(c.dir, { recursive: true, force: true });
  }
});

/** Start the CLI for `agentId` with the echo-agent fixture; resolves once it says the agent is up. */
async function startCli(agentId: string): Promise<Child> {
  const dir = mkdtempSync(join(tmpdir(), "relay-cli-runner-"));
  const record = join(dir, "record.jsonl");
  const infoFile = join(dir, "runner-info.json");
  // A private TMUX_TMPDIR: the socket file of the runner's tmux server lands here, where the test can look.
  const tmuxEnv = { TMUX_TMPDIR: dir };
  const runner = spawnRunnerCli(
    [
      "--provider",
      "command",
      "--headless",
      "--agent-id",
      agentId,
      "--runner-id",
      `cli-${agentId}`,
      "--relay-url",
      relay.url,
      "--ready-pattern",
      "ready> $",
      "--quiet-ms",
      "300",
      "--",
      ...echoAgentCommand(),
    ],
    {
      HOME: dir,
      AGENT_RELAY_TOKEN: relay.rootToken,
      ...tmuxEnv,
      ECHO_AGENT_RECORD: record,
      AGENT_RELAY_LOG_LEVEL: process.env.CLI_TEST_LOG ?? "warn",
      AGENT_RELAY_RUNNER_INFO_FILE: infoFile,
    },
  );
  const child = { runner, agentId, dir, record, infoFile, tmuxEnv, socket: agentTmuxSocket(agentId) };
  children.push(child);
  try {
    await waitFor(() => runner.stderr().includes(`agent ${agentId} is up`), {
      timeoutMs: 15_000,
      what: `"agent ${agentId} is up"`,
    });
  } catch (e) {
    const tree = Bun.spawnSync([
      "ps",
      "-o",
      "pid,ppid,stat,etime,args",
      "--ppid",
      String(runner.proc.pid),
      "-p",
      String(runner.proc.pid),
    ]).stdout.toString();
    throw new Error(
      `${(e as Error).message}; stderr: ${runner.stderr().slice(-2000)}; processes:\n${tree}; fixture record: ${JSON.stringify(readEchoRecord(record)).slice(0, 1000)}`,
    );
  }
  return child;
}

/** The private tmux server of a child: alive while the runner runs, gone (socket removed) after. */
async function tmuxServerAlive(c: Child): Promise<boolean> {
  try {
    await runTmux(c.socket, ["list-sessions"], { env: c.tmuxEnv });
    return true;
  } catch {
    return false;
  }
}

async function agentStatus(agentId: string): Promise<number> {
  return (await relay.call(relay.rootToken, "GET", `/v1/agents/${agentId}`)).status;
}

describe("agent-relay-runner CLI (child process, real relay, real tmux)", () => {
  test("agent.shutdown: the command succeeds, the agent is deregistered, the runner exits 0 and its tmux server is gone", async () => {
    const c = await startCli("cli-shut");
    const { infoFile } = c;
    expect(await tmuxServerAlive(c)).toBe(true);
    // The info file (named by the env twin) is 0600 and, once the agent is up, names the provider session.
    expect(statSync(infoFile).mode & 0o777).toBe(0o600);
    const info = await readRunnerInfoFile(infoFile);
    expect(info).toMatchObject({ agentId: "cli-shut", runnerId: "cli-cli-shut", provider: "command" });
    expect(info.pid, "the runner's pid (bun, exec'd by the launcher)").toBe(c.runner.proc.pid);
    expect(info.providerSessionId).toBeDefined();
    expect(info.tmuxSocket).toBe(c.socket);
    const sent = await relay.call(relay.rootToken, "POST", "/v1/messages", {
      from: "sender",
      to: "cli-shut",
      body: "hello child",
    });
    await waitFor(() => receivedInputs(c.record).some((i) => i.text.includes(`#${sent.body.id} `)), {
      what: "the message in the child's provider",
    });
    const cmd = await relay.call(relay.rootToken, "POST", "/v1/commands", {
      target: "cli-shut",
      type: "agent.shutdown",
      params: { timeoutMs: 3_000 },
    });
    const code = await c.runner.exited;
    expect(code, `exit code (stderr: ${c.runner.stderr()})`).toBe(0);
    const final = (await relay.call(relay.rootToken, "GET", `/v1/commands/${cmd.body.id}`)).body;
    expect(final.status).toBe("succeeded");
    expect(final.result).toMatchObject({ stopped: true, graceful: true });
    expect(await agentStatus("cli-shut"), "GET /v1/agents/cli-shut after shutdown").toBe(404);
    expect(await tmuxServerAlive(c)).toBe(false);
    expect(existsSync(infoFile), "the info file is removed at exit").toBe(false);
  }, 30_000);

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    test(`${signal}: graceful shutdown, deregistered, exit 0, no tmux server left for its socket`, async () => {
      const c = await startCli(`cli-${signal.toLowerCase()}`);
      expect(await agentStatus(c.agentId)).toBe(200);
      c.runner.proc.kill(signal);
      const code = await c.runner.exited;
      expect(code, `exit code after ${signal} (stderr: ${c.runner.stderr()})`).toBe(0);
      expect(c.runner.stderr()).toContain(`${signal}: stopping`);
      expect(await agentStatus(c.agentId), `GET /v1/agents/${c.agentId} after ${signal}`).toBe(404);
      expect(await tmuxServerAlive(c), "tmux server still answering").toBe(false);
      const socketFile = join(c.dir, `tmux-${process.getuid!()}`, c.socket);
      expect(existsSync(socketFile), `socket file ${socketFile} left behind`).toBe(false);
    }, 30_000);
  }

  test("a bad option exits 2 with one line naming the option", async () => {
    const dir = mkdtempSync(join(tmpdir(), "relay-cli-bad-"));
    try {
      const bad = spawnRunnerCli(["--provider", "command", "--quiet-ms", "soon", "--", "true"], {
        HOME: dir,
      });
      expect(await bad.exited).toBe(2);
      await waitFor(() => bad.stderr().length > 0, { what: "the error line" });
      const lines = bad.stderr().trimEnd().split("\n");
      expect(lines.length, `stderr: ${bad.stderr()}`).toBe(1);
      expect(lines[0]).toContain("--quiet-ms");
      expect(lines[0]).toContain("AGENT_RELAY_QUIET_MS");
      const unknown = spawnRunnerCli(["--provider", "command", "--no-such-flag", "--", "true"], {
        HOME: dir,
      });
      expect(await unknown.exited).toBe(2);
      await waitFor(() => unknown.stderr().length > 0, { what: "the error line" });
      expect(unknown.stderr().trimEnd().split("\n")).toHaveLength(1);
      expect(unknown.stderr()).toContain("--no-such-flag");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
