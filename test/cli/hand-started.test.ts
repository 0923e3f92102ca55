// Runners people start by hand: `--detach`, `attach <agent>`, `logs <agent>`, `restart <agent>`, `stop <agent>`.
// The real bin against a real relay; the agents are real runners (command provider, echo-agent fixture) in tmux.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTmux } from "../../src/providers/tmux/run.ts";
import { agentTmuxSocket, tmuxSocketPath } from "../../src/providers/tmux/socket-name.ts";
import { isProcessRunning } from "../../src/util/processes.ts";
import { echoAgentCommand, readEchoRecord } from "../fixtures/echo-agent-record.ts";
import { startTestRelay, type TestBus, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";
import { runCli } from "./run-cli.ts";

setDefaultTimeout(30_000);

let t: TestRelay;
let home: string;
let env: Record<string, string>;
const detached: { pid: number; agentId: string }[] = [];

beforeAll(async () => {
  t = await startTestRelay();
});
afterAll(async () => {
  await t.close();
});
afterEach(async () => {
  for (const d of detached.splice(0)) {
    try {
      process.kill(-d.pid, "SIGKILL");
    } catch {
      // already gone
    }
    await runTmux(agentTmuxSocket(d.agentId), ["kill-server"], { env: { TMUX_TMPDIR: home } }).catch(
      () => {},
    );
  }
  rmSync(home, { recursive: true, force: true });
});

function freshHome(): void {
  home = mkdtempSync(join(tmpdir(), "cli-hand-home-"));
  env = {
    HOME: home,
    TMUX_TMPDIR: home,
    AGENT_RELAY_URL: t.url,
    AGENT_RELAY_TOKEN: t.rootToken,
    AGENT_RELAY_LOG_LEVEL: "info",
  };
}

/** The runner flags for an echo-agent under `agentId`; `program` replaces the fixture. */
function runnerArgs(agentId: string, extra: string[] = [], program = echoAgentCommand()): string[] {
  return [
    "--provider",
    "command",
    "--headless",
    "--agent-id",
    agentId,
    "--cwd",
    home,
    "--ready-pattern",
    "ready> $",
    "--quiet-ms",
    "300",
    ...extra,
    "--",
    ...program,
  ];
}

/** `--detach` an echo agent; answers the pid it reported. */
async function detach(agentId: string, extra: string[] = []): Promise<{ pid: number; stdout: string }> {
  const r = await runCli(runnerArgs(agentId, [...extra, "--detach"]), {
    env: { ...env, ECHO_AGENT_RECORD: join(home, `${agentId}.jsonl`) },
    timeoutMs: 25_000,
  });
  expect(r.code, r.stderr).toBe(0);
  const pid = Number(/ pid (\d+),/.exec(r.stdout)?.[1]);
  detached.push({ pid, agentId });
  return { pid, stdout: r.stdout };
}

describe("--detach", () => {
  test("the runner keeps running without a terminal; one line says its id, pid, log and how to attach and stop it", async () => {
    freshHome();
    const { pid, stdout } = await detach("hand-a");
    const log = join(home, ".agent-relay", "logs", "hand-a.log");
    expect(stdout).toBe(
      `agent hand-a runs in the background: pid ${pid}, log ${log}; attach: agent-relay-runner attach hand-a; ` +
        "logs: agent-relay-runner logs hand-a -f; stop: agent-relay-runner stop hand-a\n",
    );
    // Its own session (setsid): our process group ending does not end it.
    expect(isProcessRunning(pid)).toBe(true);
    expect(Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[3])).toBe(pid);
    expect((await t.call(t.rootToken, "GET", "/v1/agents/hand-a")).status).toBe(200);
    expect(statSync(log).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, ".agent-relay", "logs")).mode & 0o777).toBe(0o700);
    expect(readFileSync(log, "utf8")).toContain("agent hand-a is up");
  });

  test("a runner that cannot start: the log's tail on stderr, exit 1, nothing left running", async () => {
    freshHome();
    const r = await runCli(
      runnerArgs("hand-bad", ["--detach"], ["sh", "-c", "echo marker-of-a-bad-start; exit 3"]),
      { env, timeoutMs: 25_000 },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const log = join(home, ".agent-relay", "logs", "hand-bad.log");
    expect(r.stderr).toStartWith(
      `agent-relay-runner: the runner of hand-bad exited (code 1) before it was up; its log (${log}) ends:\n`,
    );
    expect(r.stderr).toContain("could not start");
    expect((await t.call(t.rootToken, "GET", "/v1/agents/hand-bad")).status).toBe(404);
  });

  test("a second runner of an agent already running here is refused at once, naming the running one", async () => {
    freshHome();
    const { pid } = await detach("hand-twin");
    const r = await runCli(runnerArgs("hand-twin", ["--detach"]), { env });
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toBe(
      `agent-relay-runner: agent hand-twin already runs on this machine (runner pid ${pid}); ` +
        "stop it first: agent-relay-runner stop hand-twin\n",
    );
    expect(isProcessRunning(pid)).toBe(true);
  });
});

describe("stop", () => {
  test("a detached runner that hosts the embedded relay stops in one line, exit 0, though the relay goes with it", async () => {
    freshHome();
    // No relay given: the runner starts the embedded one; the CLI finds it through ~/.agent-relay/relay.json.
    const { AGENT_RELAY_URL: _url, AGENT_RELAY_TOKEN: _token, ...own } = env;
    env = own;
    const { pid } = await detach("hand-host");
    const r = await runCli(["stop", "hand-host"], { env });
    // Whether the outcome is read before the relay goes is a race: either way it is a success, never "unreachable".
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatch(
      new RegExp(
        `^(\\S+ succeeded \\{"stopped":true,"graceful":true\\}|stopped hand-host \\(runner pid ${pid}\\); the embedded relay it ran stopped with it)\n$`,
      ),
    );
    // "succeeded" may be read while the runner still finishes its stop: it ends, and its record goes with it.
    await waitFor(() => !isProcessRunning(pid), { what: "the runner to exit" });
    expect(existsSync(join(home, ".agent-relay", "runners", "hand-host.local.json"))).toBe(false);
  });
});

describe("attach", () => {
  test("the attach command targets the agent's own socket (named after its id) and its live session", async () => {
    freshHome();
    await detach("hand-att");
    const r = await runCli(["attach", "hand-att", "--print"], { env });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const argv = r.stdout.trim().split(" ");
    expect(argv.slice(0, 4)).toEqual(["tmux", "-L", agentTmuxSocket("hand-att"), "attach"]);
    const session = argv[argv.indexOf("-t") + 1]!;
    // The same socket and session answer: attaching would reach the agent's program.
    await runTmux(agentTmuxSocket("hand-att"), ["has-session", "-t", session], {
      env: { TMUX_TMPDIR: home },
    });
    // Without a terminal to attach, a clear line instead of tmux's "not a terminal".
    const noTty = await runCli(["attach", "hand-att"], { env });
    expect(noTty).toMatchObject({
      code: 2,
      stdout: "",
      stderr: "agent-relay-runner attach: attach needs a terminal on stdin (--print shows the command)\n",
    });
  });

  test("the socket stays the same across a restart of the runner, and stop removes its socket file", async () => {
    freshHome();
    const { pid } = await detach("hand-same");
    const socketFile = tmuxSocketPath(agentTmuxSocket("hand-same"), { TMUX_TMPDIR: home });
    expect(existsSync(socketFile)).toBe(true);
    const first = (await runCli(["attach", "hand-same", "--print"], { env })).stdout;
    const stop = await runCli(["stop", "hand-same"], { env });
    expect(stop.code, stop.stderr).toBe(0);
    await waitFor(() => !existsSync(socketFile) && !isProcessRunning(pid), {
      what: "the runner gone and its socket file removed",
    });
    await detach("hand-same");
    expect((await runCli(["attach", "hand-same", "--print"], { env })).stdout).toBe(first);
  });

  test("an unknown agent, one registered elsewhere, and one whose program is stopped are each one clear line", async () => {
    freshHome();
    const unknown = await runCli(["attach", "nosuch"], { env });
    expect(unknown).toMatchObject({
      code: 1,
      stderr:
        "agent-relay-runner attach: no agent 'nosuch': no runner of it here and the relay does not know it (see: agent-relay-runner agents)\n",
    });
    const bus: TestBus = await t.openBus({ agentId: "hand-elsewhere" });
    try {
      const elsewhere = await runCli(["attach", "hand-elsewhere"], { env });
      expect(elsewhere).toMatchObject({
        code: 1,
        stderr:
          "agent-relay-runner attach: agent 'hand-elsewhere' is registered on the relay but its runner is not on this machine\n",
      });
    } finally {
      await bus.close();
    }
    // The runner stays after agent.shutdown (--no-exit-on-shutdown): no program, so no terminal.
    await detach("hand-stopped", ["--no-exit-on-shutdown"]);
    expect((await runCli(["stop", "hand-stopped"], { env })).code).toBe(0);
    const stopped = await runCli(["attach", "hand-stopped"], { env });
    expect(stopped).toMatchObject({
      code: 1,
      stderr:
        "agent-relay-runner attach: agent 'hand-stopped' has no terminal to attach to now (provider command, headless, " +
        "its program is not running); read its log instead: agent-relay-runner logs hand-stopped\n",
    });
    const bad = await runCli(["attach", "../x"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toStartWith("agent-relay-runner attach: <agent>: ");
  });
});

describe("logs", () => {
  test("pretty lines with local times; --json keeps the raw lines; lines that are not JSON as they are", async () => {
    freshHome();
    await detach("hand-log");
    const raw = readFileSync(join(home, ".agent-relay", "logs", "hand-log.log"), "utf8");
    const started = raw
      .split("\n")
      .map((l) => (l.startsWith("{") ? JSON.parse(l) : undefined))
      .find((e) => e?.msg === "runner started");
    const d = new Date(started.time);
    const hhmmss = [d.getHours(), d.getMinutes(), d.getSeconds()]
      .map((n) => String(n).padStart(2, "0"))
      .join(":");
    const ms = String(d.getMilliseconds()).padStart(3, "0");

    const pretty = await runCli(["logs", "hand-log"], { env });
    expect(pretty).toMatchObject({ code: 0, stderr: "" });
    const lines = pretty.stdout.trimEnd().split("\n");
    expect(lines).toContain(
      `${hhmmss}.${ms} INFO  runner started  agentId=hand-log provider=command controlUrl=${started.controlUrl}`,
    );
    expect(lines).toContain(
      "agent-relay-runner: agent hand-log is up (provider command); attach: agent-relay-runner attach hand-log",
    );
    expect(pretty.stdout).not.toContain('"level":');

    const json = await runCli(["logs", "hand-log", "--json"], { env });
    expect(json.stdout).toBe(
      readFileSync(join(home, ".agent-relay", "logs", "hand-log.log"), "utf8").slice(0, json.stdout.length),
    );
    expect(json.stdout).toContain('"msg":"runner started"');
  });

  test("-f follows what is appended: a restart shows up while it runs", async () => {
    freshHome();
    await detach("hand-follow");
    const follow = Bun.spawn(
      [join(import.meta.dir, "../../bin/agent-relay-runner"), "logs", "hand-follow", "-f"],
      {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
        stdin: "ignore",
        stdout: "pipe",
        stderr: "ignore",
      },
    );
    let followed = "";
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of follow.stdout) followed += decoder.decode(chunk, { stream: true });
    })();
    try {
      await waitFor(() => followed.includes("INFO  runner started"), { what: "the log so far" });
      expect(followed.split("command provider ready").length).toBe(2);
      expect((await runCli(["restart", "hand-follow"], { env })).code).toBe(0);
      await waitFor(() => followed.split("command provider ready").length === 3, {
        what: "the restart, followed",
      });
    } finally {
      follow.kill("SIGINT");
      await follow.exited;
    }
  });

  test("an agent without a log file is one line naming the file looked for", async () => {
    freshHome();
    const r = await runCli(["logs", "nosuch"], { env });
    expect(r).toMatchObject({
      code: 1,
      stdout: "",
      stderr: `agent-relay-runner logs: no log for 'nosuch' (${join(home, ".agent-relay", "logs", "nosuch.log")})\n`,
    });
  });
});

describe("restart", () => {
  test("a hand-started agent is restarted through the relay: a new program, the same runner", async () => {
    freshHome();
    const { pid } = await detach("hand-re");
    const record = join(home, "hand-re.jsonl");
    const starts = () => readEchoRecord(record).filter((e) => e.event === "start");
    expect(starts()).toHaveLength(1);
    const r = await runCli(["restart", "hand-re"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\S+ succeeded /);
    expect(starts()).toHaveLength(2);
    expect(starts()[1]!.pid).not.toBe(starts()[0]!.pid);
    expect(isProcessRunning(pid)).toBe(true);
  });

  test("an agent neither in a team nor on the relay fails at once in one line", async () => {
    freshHome();
    const r = await runCli(["restart", "nosuch"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "agent-relay-runner restart: relay answered 404 not_found: no registered agent or runner answers to 'nosuch'\n",
    );
  });
});
