// supervisor.spawn|stop|restart against a real Supervisor: real runner processes (the bin, command provider,
// echo-agent fixture) on a real relay; root may, an operator may stop and restart, an agent in allow_spawn may
// within max_agents, others get 403.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { RelayAccess } from "../../src/supervisor/relay-access.ts";
import { runnerBaseEnv } from "../../src/supervisor/run-supervisor.ts";
import { Supervisor } from "../../src/supervisor/supervisor.ts";
import { SupervisorCommands } from "../../src/supervisor/supervisor-commands.ts";
import { readTeamFile } from "../../src/supervisor/team-file.ts";
import { planTeam, type TeamPlan } from "../../src/supervisor/team-plan.ts";
import { systemClock } from "../../src/util/clock.ts";
import { echoAgentCommand } from "../fixtures/echo-agent-record.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { RUNNER_BIN } from "../support/runner.ts";
import { waitFor } from "../support/wait-for.ts";

let relay: TestRelay;
let dir: string;
let supervisor: Supervisor;
let commands: SupervisorCommands;
let plan: TeamPlan;

beforeAll(async () => {
  relay = await startTestRelay();
  dir = mkdtempSync(join(tmpdir(), "relay-sup-cmd-"));
  const q = JSON.stringify;
  writeFileSync(
    join(dir, "team.toml"),
    [
      "[relay]",
      `url = ${q(relay.url)}`,
      "[supervisor]",
      'allow_spawn = ["lead"]',
      "max_agents = 1",
      "[defaults]",
      'provider = "command"',
      `command = [${echoAgentCommand()
        .map((s) => q(s))
        .join(", ")}]`,
      `ready_pattern = ${q("ready> $")}`,
      "[agents.lead]",
    ].join("\n"),
  );
  const { team, file } = readTeamFile(join(dir, "team.toml"));
  plan = planTeam(team, file);
  const logger = pino({ level: "silent" });
  const env = { PATH: process.env.PATH, HOME: dir, TMUX_TMPDIR: dir };
  const access = await RelayAccess.open(relay.url, relay.rootToken, logger);
  supervisor = new Supervisor({
    binPath: RUNNER_BIN,
    logDir: join(dir, "logs"),
    baseEnv: runnerBaseEnv(env),
    relay: access,
    clock: systemClock,
    logger,
  });
  commands = new SupervisorCommands(supervisor, () => plan);
});

afterEach(async () => {
  await supervisor.stop();
});

afterAll(async () => {
  await relay.close();
  rmSync(dir, { recursive: true, force: true });
});

const registered = async (id: string) =>
  (await relay.call(relay.rootToken, "GET", `/v1/agents/${id}`)).status === 200;

describe("supervisor commands", () => {
  test("an agent not in allow_spawn gets 403 for each command, and nothing starts", async () => {
    const intruder = { kind: "agent", agentId: "intruder" } as const;
    for (const [type, params] of [
      ["supervisor.spawn", { id: "evil" }],
      ["supervisor.stop", { agentId: "lead" }],
      ["supervisor.restart", { agentId: "lead" }],
    ] as const) {
      const out = await commands.handle(type, params, intruder);
      expect(out).toEqual({
        ok: false,
        status: 403,
        error: `agent 'intruder' may not send ${type} (not in [supervisor] allow_spawn)`,
      });
    }
    expect(supervisor.size).toBe(0);
  });

  test("root spawns an agent (planned with the file's defaults); it registers; bad params name the param", async () => {
    const bad = await commands.handle(
      "supervisor.spawn",
      { id: "helper", restart: "sometimes" },
      { kind: "root" },
    );
    expect(bad).toMatchObject({ ok: false, status: 400 });
    expect(!bad.ok && bad.error).toBe(
      "supervisor.spawn: params.restart: expected one of on-failure|always|never",
    );
    expect((await commands.handle("supervisor.stop", {}, { kind: "root" })) as unknown).toMatchObject({
      status: 400,
      error: "supervisor.stop: params.agentId: required",
    });
    const out = await commands.handle("supervisor.spawn", { id: "helper", label: "help" }, { kind: "root" });
    expect(out).toEqual({ ok: true, result: { spawned: ["helper"] } });
    await waitFor(() => registered("helper"), { timeoutMs: 20_000, what: "helper registered" });
    expect((await relay.call(relay.rootToken, "GET", "/v1/agents/helper")).body.label).toBe("help");
    expect(supervisor.list().map((a) => a.agentId)).toEqual(["helper"]);
  }, 40_000);

  test("an allowed agent may not stop or restart an agent the team file declares", async () => {
    await supervisor.apply(plan);
    const lead = { kind: "agent", agentId: "lead" } as const;
    for (const type of ["supervisor.stop", "supervisor.restart"]) {
      expect(await commands.handle(type, { agentId: "lead" }, lead)).toEqual({
        ok: false,
        status: 403,
        error: `agent 'lead' is declared in the team file; only root or an operator may ${type.slice(11)} it`,
      });
    }
    expect(supervisor.list()).toMatchObject([{ agentId: "lead", restarts: 0 }]);
  }, 40_000);

  test("an operator (a person) restarts and stops a declared agent, but may not spawn one", async () => {
    await supervisor.apply(plan);
    const alice = { kind: "operator", name: "alice" } as const;
    expect(await commands.handle("supervisor.spawn", { id: "h9" }, alice)).toEqual({
      ok: false,
      status: 403,
      error: "operator 'alice' may stop and restart team agents, not send supervisor.spawn",
    });
    expect(await commands.handle("supervisor.restart", { agentId: "lead" }, alice)).toEqual({
      ok: true,
      result: { restarted: ["lead"] },
    });
    expect(supervisor.list()).toMatchObject([{ agentId: "lead", restarts: 1 }]);
    expect(await commands.handle("supervisor.stop", { agentId: "lead" }, alice)).toEqual({
      ok: true,
      result: { stopped: ["lead"] },
    });
    expect(supervisor.size).toBe(0);
  }, 40_000);

  test("an allowed agent: capped by max_agents, may stop an agent spawned at run time", async () => {
    const lead = { kind: "agent", agentId: "lead" } as const;
    expect(await commands.handle("supervisor.spawn", { id: "h1" }, lead)).toEqual({
      ok: true,
      result: { spawned: ["h1"] },
    });
    // max_agents = 1: a second agent is refused and not started.
    expect(await commands.handle("supervisor.spawn", { id: "h2" }, lead)).toEqual({
      ok: false,
      status: 409,
      error: "the team is at its max_agents (1)",
    });
    await waitFor(() => registered("h1"), { timeoutMs: 20_000, what: "h1 registered" });
    expect(await commands.handle("supervisor.stop", { agentId: "h1" }, lead)).toEqual({
      ok: true,
      result: { stopped: ["h1"] },
    });
    expect(await registered("h1")).toBe(false);
    expect(supervisor.size).toBe(0);
    expect(await commands.handle("supervisor.restart", { agentId: "nobody" }, lead)).toMatchObject({
      status: 404,
    });
  }, 40_000);
});
