// The supervisor's bus session on a real relay: commands to target `supervisor` are run with the sender the relay
// recorded, and each ends succeeded or failed with the refusal's status first ("403 forbidden: …").
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { RelayAccess } from "../../src/supervisor/relay-access.ts";
import { RelayLink, senderOf } from "../../src/supervisor/relay-link.ts";
import { runnerBaseEnv } from "../../src/supervisor/run-supervisor.ts";
import { Supervisor } from "../../src/supervisor/supervisor.ts";
import { SupervisorCommands } from "../../src/supervisor/supervisor-commands.ts";
import { readTeamFile } from "../../src/supervisor/team-file.ts";
import { planTeam } from "../../src/supervisor/team-plan.ts";
import { systemClock } from "../../src/util/clock.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { RUNNER_BIN } from "../support/runner.ts";
import { waitFor } from "../support/wait-for.ts";

let relay: TestRelay;
let dir: string;
let link: RelayLink;
let access: RelayAccess;

beforeAll(async () => {
  relay = await startTestRelay();
  dir = mkdtempSync(join(tmpdir(), "relay-link-"));
  const file = join(dir, "team.toml");
  writeFileSync(
    file,
    [
      "[relay]",
      `url = ${JSON.stringify(relay.url)}`,
      "[supervisor]",
      'allow_spawn = ["lead"]',
      "[agents.lead]",
      'provider = "command"',
      'command = ["true"]',
    ].join("\n"),
  );
  const read = readTeamFile(file);
  const plan = planTeam(read.team, read.file);
  const logger = pino({ level: "silent" });
  access = await RelayAccess.open(relay.url, relay.rootToken, logger);
  // No plan is applied: these commands are all refused before any runner would start.
  const supervisor = new Supervisor({
    binPath: RUNNER_BIN,
    logDir: join(dir, "logs"),
    baseEnv: runnerBaseEnv({ PATH: process.env.PATH, HOME: dir }),
    relay: access,
    clock: systemClock,
    logger,
  });
  link = new RelayLink({
    url: access.url,
    rootToken: access.rootToken!,
    commands: new SupervisorCommands(supervisor, () => plan),
    clock: systemClock,
    logger,
  });
  link.start();
  await link.waitForOpen(5_000);
});

afterAll(async () => {
  await link.close();
  await relay.close();
  rmSync(dir, { recursive: true, force: true });
});

async function outcome(token: string, type: string, params: Record<string, unknown>) {
  const created = await relay.call(token, "POST", "/v1/commands", { target: "supervisor", type, params });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  return waitFor(
    async () => {
      const c = (await relay.call(token, "GET", `/v1/commands/${created.body.id}`)).body;
      return c.status === "succeeded" || c.status === "failed" ? c : undefined;
    },
    { what: `${type} finished` },
  );
}

describe("RelayLink", () => {
  test("runs each command as its recorded sender; a refusal ends failed with its status first", async () => {
    const intruder = await relay.mintToken("intruder");
    expect(await outcome(intruder, "supervisor.spawn", { id: "evil" })).toMatchObject({
      status: "failed",
      from: "intruder",
      error:
        "403 forbidden: agent 'intruder' may not send supervisor.spawn (not in [supervisor] allow_spawn)",
    });
    const lead = await relay.mintToken("lead");
    expect((await outcome(lead, "supervisor.stop", { agentId: "nobody" })).error).toBe(
      "404 not found: no agent 'nobody' in the team",
    );
    expect((await outcome(relay.rootToken, "supervisor.spawn", {})).error).toBe(
      "400 invalid: supervisor.spawn: params.id: required",
    );
    // A command without a sender (stored before the field) is nobody's.
    expect(senderOf({})).toBeUndefined();
    expect(senderOf({ from: "root" })).toEqual({ kind: "root" });
    expect(senderOf({ from: "lead" })).toEqual({ kind: "agent", agentId: "lead" });
  });

  test("once the supervisor disconnects, supervisor commands are refused at once (409)", async () => {
    await link.close();
    await waitFor(
      async () =>
        (
          await relay.call(relay.rootToken, "POST", "/v1/commands", {
            target: "supervisor",
            type: "supervisor.stop",
            params: { agentId: "lead" },
          })
        ).status === 409,
      { what: "409 after the supervisor left" },
    );
  });
});
