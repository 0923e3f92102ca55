// `agent-relay-runner --provider … --detach`: the same runner started again in the background, reported in one line.
import type { RunnerConfig } from "../config/index.ts";
import { DEFAULT_START_TIMEOUT_MS } from "../runner/relay-target.ts";
import { logTail, startDetached } from "./detach.ts";
import { agentLogPath, ensurePrivateLog, readLiveAgent } from "./local-agent.ts";

/** Beyond the runner's own start budget: its Bun start-up and the first record write. */
const MARGIN_MS = 10_000;

/** argv without `--detach` (before `--`; what follows belongs to the provider). */
function withoutDetach(argv: string[]): string[] {
  const end = argv.includes("--") ? argv.indexOf("--") : argv.length;
  const keep = argv.slice(0, end).filter((a) => a !== "--detach" && !a.startsWith("--detach="));
  return [...keep, ...argv.slice(end)];
}

/**
 * Start the runner in the background and wait until it has recorded itself as up (its record names its pid).
 * `token` is the AGENT_RELAY_TOKEN this process was given (already removed from its own env).
 */
export async function runDetached(
  argv: string[],
  config: RunnerConfig,
  env: NodeJS.ProcessEnv,
  token: string | undefined,
): Promise<number> {
  const say = (line: string) => process.stderr.write(`agent-relay-runner: ${line}\n`);
  const running = readLiveAgent(config.agentId);
  if (running) {
    say(
      `agent ${config.agentId} already runs on this machine (runner pid ${running.pid}); ` +
        `stop it first: agent-relay-runner stop ${config.agentId}`,
    );
    return 1;
  }
  const logFile = agentLogPath(config.agentId);
  ensurePrivateLog(logFile);
  const childEnv: NodeJS.ProcessEnv = { ...env, AGENT_RELAY_DETACH: "0" };
  if (token !== undefined) childEnv.AGENT_RELAY_TOKEN = token;
  const started = await startDetached({
    args: withoutDetach(argv),
    logFile,
    env: childEnv,
    ready: (pid) => {
      const record = readLiveAgent(config.agentId);
      return record?.pid === pid ? record : undefined;
    },
    timeoutMs: (config.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS) + MARGIN_MS,
  });
  if (started.kind !== "up") {
    const why =
      started.kind === "timeout"
        ? "was not up in time and was stopped"
        : `exited (${started.signal ?? `code ${started.code}`}) before it was up`;
    say(`the runner of ${config.agentId} ${why}; its log (${logFile}) ends:\n${logTail(logFile)}`);
    return 1;
  }
  const id = config.agentId;
  const attach = started.value.attach ? `attach: agent-relay-runner attach ${id}; ` : "";
  process.stdout.write(
    `agent ${id} runs in the background: pid ${started.pid}, log ${logFile}; ` +
      `${attach}logs: agent-relay-runner logs ${id} -f; stop: agent-relay-runner stop ${id}\n`,
  );
  return 0;
}
