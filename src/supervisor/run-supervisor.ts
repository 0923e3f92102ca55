// The supervisor process: resolve the relay, start every runner of the team, serve the control socket, and on
// `down` (or SIGINT/SIGTERM) stop every runner before exiting.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { envText } from "../config/index.ts";
import type { Agent } from "../protocol/index.ts";
import { RelayHttpClient } from "../relay-client/index.ts";
import type { Clock } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";
import type { Logger } from "../util/logger.ts";
import { ControlClient } from "./control-client.ts";
import { startControlServer } from "./control-server.ts";
import { stopOrphans, writeRunnerPids } from "./orphans.ts";
import { ensurePrivateDir, type SupervisorPaths } from "./paths.ts";
import { httpUrls, RelayAccess } from "./relay-access.ts";
import { RelayLink } from "./relay-link.ts";
import { DEFAULT_STOP_DEADLINE_MS, Supervisor } from "./supervisor.ts";
import { SupervisorCommands } from "./supervisor-commands.ts";
import { readTeamFile } from "./team-file.ts";
import { planTeam, type TeamPlan } from "./team-plan.ts";

/** How long start-up waits for the relay to welcome the supervisor's bus session before saying it is up anyway. */
const LINK_OPEN_WAIT_MS = 5_000;
/** The token used for `ps` is re-minted this often (runtime tokens live 12 h). */
const VIEWER_TOKEN_MAX_AGE_MS = 3_600_000;

export interface RunSupervisorOptions {
  plan: TeamPlan;
  paths: SupervisorPaths;
  binPath: string;
  env: Record<string, string | undefined>;
  clock: Clock;
  logger: Logger;
  /** Called once the runners are starting and the control socket answers. */
  onReady?: (supervisor: Supervisor) => void;
}

/** Read and plan a team file; `name` is how errors name it. */
export function loadPlan(name: string): TeamPlan {
  const { team, file } = readTeamFile(name);
  return planTeam(team, file, name);
}

/** The supervisor's own environment minus every AGENT_RELAY_* variable (its token above all). */
export function runnerBaseEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !k.startsWith("AGENT_RELAY_")) out[k] = v;
  return out;
}

/** The pid in `path` when it names a live `agent-relay-runner up` process other than this one. */
function liveSupervisor(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    if (!(pid > 0) || pid === process.pid) return undefined;
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return argv.includes("up") ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Create the pid file exclusively, so two `up` started at once cannot both become the supervisor. */
function claimPidFile(path: string): void {
  try {
    writeFileSync(path, `${process.pid}\n`, { mode: 0o600, flag: "wx" });
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const other = liveSupervisor(path);
  if (other !== undefined) throw new Error(`a supervisor is already running (pid ${other})`);
  writeFileSync(path, `${process.pid}\n`, { mode: 0o600 }); // left by a supervisor that was killed
}

export async function runSupervisor(o: RunSupervisorOptions): Promise<number> {
  const { paths, logger } = o;
  ensurePrivateDir(paths.dir);
  const running = await new ControlClient(paths.socket).ping();
  if (running !== undefined) throw new Error(`a supervisor is already running (pid ${running})`);
  claimPidFile(paths.pidFile);
  let relay: RelayAccess | undefined;
  try {
    relay = await RelayAccess.open(o.plan.relayUrl, envText("token", o.env), logger);
    const access = relay;
    const orphans = await stopOrphans(paths.runners, o.clock, DEFAULT_STOP_DEADLINE_MS);
    if (orphans.length) logger.warn({ agents: orphans }, "stopped runners a previous supervisor left behind");
    const supervisor: Supervisor = new Supervisor({
      onChange: () =>
        writeRunnerPids(
          paths.runners,
          supervisor.list().flatMap((a) => (a.pid ? [{ agentId: a.agentId, pid: a.pid }] : [])),
        ),
      binPath: o.binPath,
      logDir: paths.logs,
      baseEnv: runnerBaseEnv(o.env),
      relay,
      clock: o.clock,
      logger,
    });
    let viewer: { http: RelayHttpClient; at: number } | undefined;
    const relayAgents = async (): Promise<Agent[]> => {
      try {
        if (!viewer || o.clock.now() - viewer.at > VIEWER_TOKEN_MAX_AGE_MS) {
          const a = await access.forAgent("relay-supervisor");
          await viewer?.http.close();
          viewer = {
            http: new RelayHttpClient({ relayUrl: httpUrls(a.url), token: a.token }),
            at: o.clock.now(),
          };
        }
        return await viewer.http.listAgents({ timeoutMs: 3_000 });
      } catch (e) {
        logger.warn({ err: errorMessage(e) }, "could not list the relay's agents");
        return [];
      }
    };
    let current = o.plan;
    const done = Promise.withResolvers<void>();
    const commands = new SupervisorCommands(supervisor, () => current);
    const link = relay.rootToken
      ? new RelayLink({ url: relay.url, rootToken: relay.rootToken, commands, clock: o.clock, logger })
      : undefined;
    if (!link)
      logger.warn(
        "AGENT_RELAY_TOKEN is not the root token: supervisor.* commands reach only the control socket",
      );
    link?.start();
    const control = startControlServer(paths.socket, {
      supervisor,
      commands,
      loadPlan: (file) => {
        current = loadPlan(file);
        return current;
      },
      relayAgents,
      onDownAll: () => done.resolve(),
      now: () => o.clock.now(),
      logger,
    });
    const onSignal = (signal: string) => {
      logger.info({ signal }, "stopping the team");
      done.resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      const result = await supervisor.apply(o.plan);
      logger.info({ relay: relay.url, started: result.started }, "team up");
      await link
        ?.waitForOpen(LINK_OPEN_WAIT_MS)
        .catch((e) =>
          logger.warn({ err: errorMessage(e) }, "not yet connected to the relay as its supervisor"),
        );
      o.onReady?.(supervisor);
      await done.promise;
      await link?.close(); // no supervisor.spawn may start a runner while the team stops
      await supervisor.stop();
    } finally {
      await link?.close();
      control.stop();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      await viewer?.http.close();
    }
    return 0;
  } finally {
    if (liveSupervisor(paths.pidFile) === undefined) rmSync(paths.pidFile, { force: true });
    await relay?.close();
  }
}
