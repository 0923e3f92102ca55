// `up`, `ps`, `down`, `restart`, `logs` with real processes: the CLI, a detached supervisor, one headless runner
// per agent (command provider running the echo-agent fixture in tmux), and a real relay.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ControlClient } from "../../src/supervisor/control-client.ts";
import { readEchoRecord } from "../fixtures/echo-agent-record.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { RUNNER_BIN } from "../support/runner.ts";
import { waitFor } from "../support/wait-for.ts";
import { TeamSandbox } from "./team-harness.ts";

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  await relay.close();
});

let sandbox: TeamSandbox | undefined;
let ids: string[] = [];
afterEach(async () => {
  await sandbox?.cleanup(ids);
  sandbox = undefined;
  ids = [];
});

function team(agentIds: string[]): TeamSandbox {
  sandbox = new TeamSandbox(relay);
  ids = [...agentIds];
  return sandbox;
}

describe("agent-relay-runner up/ps/down (real supervisor, runners, tmux, relay)", () => {
  test("a team of three comes up; a SIGKILLed runner is back and gets the next message; agent.shutdown keeps one down; down leaves nothing", async () => {
    const t = team(["t1-a", "t1-b", "t1-c"]);
    t.writeTeam([{ id: "t1-a" }, { id: "t1-b", extra: ['label = "bee"'] }, { id: "t1-c" }]);
    const up = await t.cli("up", "-d");
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain("supervisor pid");
    for (const id of ids) await t.waitReady(id);

    // ps --json: one object per agent with at least agentId, pid, status, restarts.
    const rows = await t.ps();
    expect(rows.map((r) => r.agentId)).toEqual(ids);
    for (const r of rows) {
      expect(r).toMatchObject({ provider: "command", status: "idle", restarts: 0 });
      expect(r.pid).toBeGreaterThan(0);
    }
    const human = await t.cli("ps");
    expect(human.stdout).toMatch(/AGENT\s+PROVIDER\s+STATUS\s+PID/);
    expect(human.stdout).toContain("t1-b");

    // The supervisor's folder and socket are private; each runner logs to ~/.agent-relay/logs/<agent>.log.
    const supDir = join(t.dir, ".agent-relay", "supervisor");
    expect(statSync(supDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(supDir, "control.sock")).mode & 0o777).toBe(0o600);
    const log = join(t.dir, ".agent-relay", "logs", "t1-b.log");
    expect(readFileSync(log, "utf8")).toContain("agent t1-b is up");
    // The operator's root token never reaches a runner: not in its log (argv is echoed there), nor its env.
    expect(readFileSync(log, "utf8")).not.toContain(relay.rootToken);
    const runnerEnv = readFileSync(`/proc/${rows[1]!.pid}/environ`, "utf8");
    expect(runnerEnv).not.toContain(relay.rootToken);
    expect(runnerEnv).toContain("AGENT_RELAY_TOKEN=");
    const logs = await t.cli("logs", "t1-b");
    expect(logs.stdout).toContain("agent t1-b is up");

    // SIGKILL one runner: restarted with backoff, registered again, and it receives the next message.
    const before = rows[1]!;
    const firstInstance = (await t.relayAgent("t1-b")).instanceId;
    process.kill(before.pid!, "SIGKILL");
    const back = await waitFor(
      async () => {
        const r = await t.row("t1-b");
        return r && r.pid !== before.pid && r.restarts === 1 && r.runner === "running" ? r : undefined;
      },
      { timeoutMs: 20_000, what: "t1-b restarted" },
    );
    expect(back.pid).not.toBe(before.pid);
    await waitFor(async () => (await t.relayAgent("t1-b"))?.instanceId !== firstInstance, {
      what: "a new t1-b instance",
    });
    await t.waitReady("t1-b");
    await t.deliver("t1-b", "after the crash");

    // agent.shutdown of one: its runner exits 0 and stays down; the others are untouched.
    const pidA = rows[0]!.pid!;
    const cmd = await relay.call(relay.rootToken, "POST", "/v1/commands", {
      target: "t1-a",
      type: "agent.shutdown",
      params: { timeoutMs: 3_000 },
    });
    expect(cmd.status).toBe(200);
    const down = await waitFor(
      async () => {
        const r = await t.row("t1-a");
        return r?.runner === "exited" ? r : undefined;
      },
      { timeoutMs: 20_000, what: "t1-a exited" },
    );
    expect(down).toMatchObject({ status: "exited", restarts: 0, reason: "exited with code 0" });
    expect(down.pid).toBeUndefined();
    expect(TeamSandbox.alive(pidA)).toBe(false);
    expect(await t.relayAgent("t1-a")).toBeUndefined();
    expect((await t.row("t1-c"))?.pid).toBe(rows[2]!.pid);

    // down: every agent deregistered, the supervisor gone, no runner or tmux server left.
    const supervisor = t.supervisorPid()!;
    const result = await t.cli("down");
    expect(result.code, result.stderr).toBe(0);
    for (const id of ids) expect(await t.relayAgent(id), `${id} after down`).toBeUndefined();
    expect(TeamSandbox.alive(supervisor)).toBe(false);
    expect(t.livePids()).toEqual([]);
    expect(t.tmuxSockets(ids)).toEqual([]);
    // Nor any provider: every echo-agent process the team ever started is gone.
    const providers = ids.flatMap((id) =>
      readEchoRecord(t.record(id)).flatMap((e) => (e.event === "start" ? [e.pid] : [])),
    );
    expect(providers.length).toBeGreaterThanOrEqual(4);
    expect(providers.filter(TeamSandbox.alive)).toEqual([]);
    expect(existsSync(join(supDir, "control.sock"))).toBe(false);
    expect(existsSync(join(supDir, "supervisor.pid"))).toBe(false);
    const after = await t.cli("ps");
    expect(after.code).toBe(1);
    expect(after.stderr).toContain("no supervisor is running");
  }, 120_000);

  test("up with an edited file starts, stops and restarts exactly the changed agents; down <agent> stops one", async () => {
    const t = team(["t2-keep", "t2-edit", "t2-gone", "t2-new", "t2-extra"]);
    t.writeTeam([{ id: "t2-keep" }, { id: "t2-edit" }, { id: "t2-gone" }]);
    expect((await t.cli("up", "-d")).code).toBe(0);
    for (const id of ["t2-keep", "t2-edit", "t2-gone"]) await t.waitReady(id);
    const before = new Map((await t.ps()).map((r) => [r.agentId, r]));

    t.writeTeam([{ id: "t2-keep" }, { id: "t2-edit", extra: ['label = "edited"'] }, { id: "t2-new" }]);
    const again = await t.cli("up");
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(
      "team.toml: started t2-new; stopped t2-gone; restarted t2-edit; unchanged t2-keep",
    );
    await t.waitReady("t2-new");
    await t.waitReady("t2-edit");
    expect((await t.relayAgent("t2-edit")).label).toBe("edited");
    expect(await t.relayAgent("t2-gone")).toBeUndefined();
    const after = new Map((await t.ps()).map((r) => [r.agentId, r]));
    expect([...after.keys()]).toEqual(["t2-edit", "t2-keep", "t2-new"]);
    expect(after.get("t2-keep")!.pid).toBe(before.get("t2-keep")!.pid!);
    expect(after.get("t2-edit")!.pid).not.toBe(before.get("t2-edit")!.pid!);
    expect(TeamSandbox.alive(before.get("t2-gone")!.pid!)).toBe(false);

    // restart <agent>: a new runner process, one more restart counted.
    const restarted = await t.cli("restart", "t2-keep");
    expect(restarted.code, restarted.stderr).toBe(0);
    const keep = await t.row("t2-keep");
    expect(keep!.pid).not.toBe(before.get("t2-keep")!.pid);
    expect(keep!.restarts).toBe(1);

    // down <agent>: only that one stops.
    const one = await t.cli("down", "t2-new");
    expect(one.stdout.trim()).toBe("stopped t2-new");
    expect(await t.relayAgent("t2-new")).toBeUndefined();
    expect((await t.ps()).map((r) => r.agentId)).toEqual(["t2-edit", "t2-keep"]);
    const unknown = await t.cli("restart", "nobody");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no agent 'nobody' in the team");

    // supervisor.spawn through the control socket (the socket's user acts as root); a re-applied file keeps it.
    const control = new ControlClient(join(t.dir, ".agent-relay", "supervisor", "control.sock"));
    const spawned = await control.call("POST", "/v1/command", {
      type: "supervisor.spawn",
      params: { id: "t2-extra", label: "spawned" },
    });
    expect(spawned).toEqual({ spawned: ["t2-extra"] });
    await t.waitReady("t2-extra");
    expect((await t.relayAgent("t2-extra")).label).toBe("spawned");
    t.writeTeam([{ id: "t2-keep" }, { id: "t2-edit", extra: ['label = "edited"'] }]);
    const reapplied = await t.cli("up");
    expect(reapplied.stdout.trim()).toBe("team.toml: unchanged t2-keep, t2-edit");
    expect((await t.ps()).map((r) => r.agentId)).toEqual(["t2-edit", "t2-extra", "t2-keep"]);

    // A bad edit changes nothing: one line naming the key, exit 2, the running team as it was.
    const pids = (await t.ps()).map((r) => r.pid);
    writeFileSync(t.teamFile, '[agents.t2-keep]\nprovider = "command"\ncommand = []\n');
    const bad = await t.cli("up");
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(
      "agent-relay-runner up: team.toml: [agents.t2-keep] command: expected at least the program",
    );
    expect((await t.ps()).map((r) => r.pid)).toEqual(pids);
  }, 120_000);

  test("the next up stops the runners a SIGKILLed supervisor left behind, then starts its own", async () => {
    const t = team(["t4-a"]);
    t.writeTeam([{ id: "t4-a" }]);
    expect((await t.cli("up", "-d")).code).toBe(0);
    await t.waitReady("t4-a");
    const old = (await t.row("t4-a"))!;
    const firstSupervisor = t.supervisorPid()!;
    process.kill(firstSupervisor, "SIGKILL");
    await waitFor(() => !TeamSandbox.alive(firstSupervisor), { what: "the first supervisor gone" });
    expect(TeamSandbox.alive(old.pid!), "its runner outlives it").toBe(true);

    const again = await t.cli("up", "-d");
    expect(again.code, again.stderr).toBe(0);
    await waitFor(() => !TeamSandbox.alive(old.pid!), { what: "the orphaned runner stopped" });
    // Stopped by the new supervisor (SIGTERM, a graceful stop), not pushed out by a second runner for its agent.
    const log = readFileSync(join(t.dir, ".agent-relay", "logs", "t4-a.log"), "utf8");
    expect(log).toContain("agent-relay-runner: SIGTERM: stopping");
    expect(log.indexOf("SIGTERM: stopping")).toBeLessThan(log.lastIndexOf("starting runner:"));
    const now = await waitFor(
      async () => {
        const r = await t.row("t4-a");
        return r?.runner === "running" && r.pid !== old.pid ? r : undefined;
      },
      { timeoutMs: 20_000, what: "a new t4-a runner" },
    );
    await t.waitReady("t4-a");
    await t.deliver("t4-a", "hello again");
    const runnersFile = join(t.dir, ".agent-relay", "supervisor", "runners.json");
    expect(statSync(runnersFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(runnersFile, "utf8"))).toEqual([{ agentId: "t4-a", pid: now.pid }]);
  }, 90_000);

  test("up in the foreground: logs -f follows a restart; SIGINT stops the team and the supervisor", async () => {
    const t = team(["t5-a"]);
    t.writeTeam([{ id: "t5-a" }]);
    const upProc = Bun.spawn([RUNNER_BIN, "up", "-f", t.teamFile], {
      cwd: t.dir,
      env: t.env(),
      stdin: "ignore",
      stdout: "ignore",
      stderr: "ignore",
    });
    try {
      await t.waitReady("t5-a");
      const first = (await t.row("t5-a"))!;
      const follow = Bun.spawn([RUNNER_BIN, "logs", "t5-a", "-f"], {
        cwd: t.dir,
        env: t.env(),
        stdin: "ignore",
        stdout: "pipe",
        stderr: "ignore",
      });
      let followed = "";
      void (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of follow.stdout) followed += decoder.decode(chunk, { stream: true });
      })();
      try {
        await waitFor(() => followed.includes("agent t5-a is up"), { what: "the log so far" });
        expect((await t.cli("restart", "t5-a")).code).toBe(0);
        await waitFor(() => followed.split("starting runner:").length === 3, {
          what: "the restart, followed",
        });
      } finally {
        follow.kill("SIGINT");
        await follow.exited;
      }
      await t.waitReady("t5-a");
      const second = (await t.row("t5-a"))!;
      expect(second.pid).not.toBe(first.pid);
      upProc.kill("SIGINT");
      expect(await upProc.exited).toBe(0);
      expect(await t.relayAgent("t5-a")).toBeUndefined();
      expect(t.livePids()).toEqual([]);
      expect(t.tmuxSockets(ids)).toEqual([]);
    } finally {
      upProc.kill("SIGKILL");
    }
  }, 90_000);

  test("two up -d at once: one supervisor, one runner per agent", async () => {
    const t = team(["t6-a"]);
    t.writeTeam([{ id: "t6-a" }]);
    const [a, b] = await Promise.all([t.cli("up", "-d"), t.cli("up", "-d")]);
    expect([a.code, b.code], `${a.stderr} / ${b.stderr}`).toContain(0);
    await t.waitReady("t6-a");
    const procs = (flag: string) =>
      Bun.spawnSync(["pgrep", "-f", "--", flag])
        .stdout.toString()
        .split("\n")
        .filter(Boolean)
        .map(Number)
        .filter((pid) => {
          try {
            return readFileSync(`/proc/${pid}/environ`, "utf8").includes(`HOME=${t.dir}\0`);
          } catch {
            return false;
          }
        });
    expect(procs("--supervise")).toHaveLength(1);
    expect(procs("--agent-id t6-a")).toHaveLength(1);
  }, 60_000);

  test("a pid file naming a live supervisor that has no socket yet (it is starting): up refuses, starts nothing", async () => {
    const t = team(["t7-a"]);
    t.writeTeam([{ id: "t7-a" }]);
    // Stands in for a supervisor between claiming its pid file and opening its socket: a process named "up".
    const other = Bun.spawn(["bash", "-c", "exec -a up sleep 60"], { stdin: "ignore", stdout: "ignore" });
    try {
      const dir = join(t.dir, ".agent-relay", "supervisor");
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(join(dir, "supervisor.pid"), `${other.pid}\n`);
      const r = await t.cli("up");
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(
        `agent-relay-runner up: a supervisor is already running (pid ${other.pid})`,
      );
      expect(readFileSync(join(dir, "supervisor.pid"), "utf8").trim()).toBe(String(other.pid));
      expect(await t.relayAgent("t7-a")).toBeUndefined();
    } finally {
      other.kill("SIGKILL");
    }
  }, 30_000);

  test("supervisor.* through the relay: root spawns; an allow_spawn agent spawns up to max_agents; anyone else gets 403", async () => {
    const t = team(["t8-boss", "t8-plain", "t8-root", "t8-help", "t8-late"]);
    t.writeTeam(
      [{ id: "t8-boss" }, { id: "t8-plain" }],
      ["[supervisor]", 'allow_spawn = ["t8-boss"]', "max_agents = 4"],
    );
    expect((await t.cli("up", "-d")).code).toBe(0);
    await t.waitReady("t8-boss");
    await t.waitReady("t8-plain");
    // The supervisor is on the relay as a component, not an agent.
    const listed = await relay.call(relay.rootToken, "GET", "/v1/agents");
    const listedIds = (listed.body.agents as { id: string }[]).map((a) => a.id);
    expect(listedIds).toEqual(expect.arrayContaining(["t8-boss", "t8-plain"]));
    expect(listedIds.filter((id) => id.includes("supervisor"))).toEqual([]);

    const spec = (id: string) => JSON.stringify({ id, env: { ECHO_AGENT_RECORD: t.record(id) } });
    const send = (token: string, type: string, params: string) =>
      t.cliWith(
        { AGENT_RELAY_TOKEN: token },
        "command",
        "--relay-url",
        relay.url,
        "--target",
        "supervisor",
        "--type",
        type,
        "--params",
        params,
        "--wait",
        "--timeout",
        "30000",
      );

    // From root (the operator's token), through the relay: a new agent that registers and receives a message.
    const byRoot = await send(relay.rootToken, "supervisor.spawn", spec("t8-root"));
    expect(byRoot.code, byRoot.stderr).toBe(0);
    expect(byRoot.stdout).toMatch(/ succeeded \{"spawned":\["t8-root"\]\}\n$/);
    await t.waitReady("t8-root");
    await t.deliver("t8-root", "welcome aboard");

    // An agent not in allow_spawn: the command fails with 403, and `command --wait` exits 1 printing it.
    const plain = await relay.mintToken("t8-plain");
    const refused = await send(plain, "supervisor.spawn", spec("t8-late"));
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      "failed: 403 forbidden: agent 't8-plain' may not send supervisor.spawn (not in [supervisor] allow_spawn)",
    );
    expect(await t.relayAgent("t8-late")).toBeUndefined();

    // The allowed agent spawns a helper (4 of max_agents 4), then is refused the next one (409).
    const boss = await relay.mintToken("t8-boss");
    const helper = await send(boss, "supervisor.spawn", spec("t8-help"));
    expect(helper.code, helper.stdout).toBe(0);
    await t.waitReady("t8-help");
    await t.deliver("t8-help", "you work for t8-boss");
    const full = await send(boss, "supervisor.spawn", spec("t8-late"));
    expect(full.code).toBe(1);
    expect(full.stdout).toContain("failed: 409 conflict: the team is at its max_agents (4)");
    // It may stop an agent spawned at run time, not one the team file declares.
    const declared = await send(boss, "supervisor.stop", JSON.stringify({ agentId: "t8-plain" }));
    expect(declared.stdout).toContain(
      "failed: 403 forbidden: agent 't8-plain' is declared in the team file; only root or an operator may stop it",
    );
    const stopped = await send(boss, "supervisor.stop", JSON.stringify({ agentId: "t8-help" }));
    expect(stopped.code, stopped.stdout).toBe(0);
    expect(await t.relayAgent("t8-help")).toBeUndefined();
    expect((await t.ps()).map((r) => r.agentId)).toEqual(["t8-boss", "t8-plain", "t8-root"]);
  }, 150_000);

  test("a bad team file: one line naming the key, exit 2, nothing started", async () => {
    const t = team(["t3-a"]);
    t.writeTeam([{ id: "t3-a", extra: ['restart = "sometimes"'] }]);
    const r = await t.cli("up", "-d");
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      "agent-relay-runner up: team.toml: [agents.t3-a] restart: expected one of on-failure|always|never",
    ]);
    expect(t.supervisorPid()).toBeUndefined();
    expect(existsSync(join(t.dir, ".agent-relay", "supervisor", "control.sock"))).toBe(false);
    expect(await t.relayAgent("t3-a")).toBeUndefined();
  }, 30_000);
});
