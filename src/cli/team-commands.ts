import { type Command, Option } from "commander";
import { envOption } from "../config/index.ts";
import { ControlClient, ControlError } from "../supervisor/control-client.ts";
import { ensurePrivateDir, supervisorPaths } from "../supervisor/paths.ts";
import { loadPlan, runSupervisor } from "../supervisor/run-supervisor.ts";
import type { AgentRow } from "../supervisor/status-view.ts";
import { formatRows } from "../supervisor/status-view.ts";
import type { ApplyResult } from "../supervisor/supervisor.ts";
import { isTeamFileError } from "../supervisor/team-file.ts";
import { systemClock } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";
import { createLogger } from "../util/logger.ts";
import { BIN_PATH } from "./bin-path.ts";
import { logTail, startDetached } from "./detach.ts";
import { waitUntil } from "./team-io.ts";

/** How long `up -d` waits for the detached supervisor to answer, and `down` for it to exit. */
const SUPERVISOR_WAIT_MS = 30_000;

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const fail = (cmd: string, message: string, code = 1) => {
  process.stderr.write(`agent-relay-runner ${cmd}: ${message}\n`);
  process.exitCode = code;
};

function summary(file: string, r: ApplyResult): string {
  const parts = (["started", "stopped", "restarted", "unchanged"] as const)
    .filter((k) => r[k].length > 0)
    .map((k) => `${k} ${r[k].join(", ")}`);
  return `${file}: ${parts.join("; ") || "nothing to do"}`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function up(flags: { file: string; detach?: boolean; supervise?: boolean }): Promise<void> {
  const paths = supervisorPaths();
  const client = new ControlClient(paths.socket);
  // Validate first: a bad file starts nothing and changes nothing.
  let plan: ReturnType<typeof loadPlan>;
  try {
    plan = loadPlan(flags.file);
  } catch (e) {
    return fail("up", errorMessage(e), isTeamFileError(e) ? 2 : 1);
  }
  const running = await client.ping();
  if (running !== undefined && !flags.supervise) {
    const result = await client.call<ApplyResult>("POST", "/v1/apply", { file: plan.file });
    return out(summary(flags.file, result));
  }
  if (flags.detach && !flags.supervise) {
    ensurePrivateDir(paths.dir);
    const started = await startDetached({
      args: ["up", "-f", plan.file, "--supervise"],
      logFile: paths.log,
      env: process.env,
      ready: () => client.ping(),
      timeoutMs: SUPERVISOR_WAIT_MS,
    });
    if (started.kind !== "up") {
      return fail(
        "up",
        `the supervisor did not start; its log (${paths.log}) ends:\n${logTail(paths.log, 6)}`,
      );
    }
    return out(
      `team ${flags.file} is starting: supervisor pid ${started.value}, log ${paths.log}, runner logs in ${paths.logs}`,
    );
  }
  const logger = createLogger({ level: envOption("logLevel", process.env), name: "supervisor" });
  process.exitCode = await runSupervisor({
    plan,
    paths,
    binPath: BIN_PATH,
    env: process.env,
    clock: systemClock,
    logger,
    onReady: (s) => logger.info({ agents: s.list().map((a) => a.agentId) }, `team ${flags.file} is up`),
  });
}

async function connected(cmd: string): Promise<ControlClient | undefined> {
  const client = new ControlClient(supervisorPaths().socket);
  if ((await client.ping()) !== undefined) return client;
  fail(cmd, "no supervisor is running (start one with `agent-relay-runner up`)");
  return undefined;
}

async function ps(flags: { json?: boolean }): Promise<void> {
  const client = await connected("ps");
  if (!client) return;
  const answer = await client.call<{ agents: AgentRow[] }>("GET", "/v1/ps");
  out(flags.json ? JSON.stringify(answer.agents, null, 2) : formatRows(answer.agents));
}

async function down(agents: string[]): Promise<void> {
  const client = await connected("down");
  if (!client) return;
  const pid = await client.ping();
  const r = await client.call<{ stopped: string[]; unknown: string[] }>("POST", "/v1/down", { agents });
  if (r.stopped.length) out(`stopped ${r.stopped.join(", ")}`);
  if (r.unknown.length) fail("down", `not in the team: ${r.unknown.join(", ")}`);
  if (agents.length === 0 && pid !== undefined) {
    const gone = await waitUntil(() => !alive(pid), SUPERVISOR_WAIT_MS);
    if (!gone) fail("down", `the supervisor (pid ${pid}) is still running`);
  }
}

/** Commander actions: a supervisor error becomes one line on stderr and exit 1. */
function action<A extends unknown[]>(cmd: string, fn: (...args: A) => Promise<void>) {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      fail(
        cmd,
        e instanceof ControlError ? e.message : errorMessage(e),
        e instanceof ControlError && e.status === 400 ? 2 : 1,
      );
    }
  };
}

export function registerTeamCommands(program: Command): void {
  teamCommand(
    program,
    "up",
    up,
    "start the team a team file declares (or apply its changes to the running team)",
  )
    .option("-f, --file <path>", "team file", "team.toml")
    .option(
      "-d, --detach",
      "keep the supervisor running in the background (pid file and log in ~/.agent-relay/supervisor/)",
    )
    .addOption(new Option("--supervise", "run as the detached supervisor").hideHelp());
  teamCommand(
    program,
    "ps",
    ps,
    "show the team's agents: provider, status, task, context, pid, uptime, restarts",
  ).option("--json", "print a JSON array");
  teamCommand(program, "down", down, "stop the named agents, or the whole team and its supervisor").argument(
    "[agents...]",
    "agent ids (default: all)",
  );
}

/** A team command: its action's errors become one line (commander calls the action after parsing the rest). */
function teamCommand<A extends unknown[]>(
  program: Command,
  name: string,
  fn: (...args: A) => Promise<void>,
  description: string,
): Command {
  return program.command(name).description(description).action(action(name, fn));
}
