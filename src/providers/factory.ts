// Builds the provider adapter a runner config asks for, loading only that provider's modules.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import type { RunnerConfig } from "../config/index.ts";
import { resolveProviderBin } from "../config/index.ts";
import type { Clock } from "../util/clock.ts";
import { RunnerError } from "../util/errors.ts";
import type { ProviderAdapter } from "./adapter.ts";
import type { CodexBinary } from "./codex/process.ts";
import type { Isolation } from "./isolation.ts";
import type { TeamProfileFile } from "./team-profile.ts";
import { agentTmuxSocket, tmuxName } from "./tmux/socket-name.ts";

export interface AdapterDeps {
  logger: Logger;
  clock: Clock;
  /** Private state folder for this runner (provider config dirs live below it). */
  stateDir: string;
  relayUrl: string;
  /** The native session (Codex thread, Claude session) of the previous run, to resume. */
  resumeSessionId?: string;
  env?: Record<string, string | undefined>;
  /** Run the provider in this sandbox (--isolate). */
  isolation?: Isolation;
  /** The team profile (--profile-file); Codex projects it into its CODEX_HOME (Claude's comes as arguments). */
  profile?: TeamProfileFile;
}

export { tmuxName };

export function tmuxNamesFor(config: RunnerConfig): { socket: string; session: string } {
  return {
    // From the agent id, not the runner id: a restarted agent keeps its socket, so `attach <agent>` finds it.
    socket: agentTmuxSocket(config.agentId),
    session: config.tmuxSession ?? tmuxName(`agent-${config.agentId}`),
  };
}

/** Async so a runner loads the one provider it runs: Claude's and Codex's modules are large and rarely both needed. */
export async function createAdapter(config: RunnerConfig, deps: AdapterDeps): Promise<ProviderAdapter> {
  const tmux = tmuxNamesFor(config);
  switch (config.provider) {
    case "command": {
      const { CommandAdapter } = await import("./command/index.ts");
      return new CommandAdapter({
        command: [...config.providerArgs],
        cwd: config.cwd,
        tmuxSocket: tmux.socket,
        tmuxSession: tmux.session,
        readyPattern: config.readyPattern,
        quietMs: config.quietMs,
        wrapCommand: deps.isolation?.wrap,
        clock: deps.clock,
        logger: deps.logger,
      });
    }
    case "codex":
      return createCodexAdapter(config, deps, tmux.socket);
    case "claude": {
      const [{ ClaudeAdapter, inboxWanted }, { Tmux }] = await Promise.all([
        import("./claude/adapter.ts"),
        import("./tmux/index.ts"),
      ]);
      return new ClaudeAdapter({
        tmux: new Tmux(tmux.socket, { wrap: deps.isolation?.wrap }),
        sessionName: tmux.session,
        configDir: join(deps.stateDir, "claude-config"),
        claudeBin: resolveProviderBin("claude", config.providerBin),
        approvalMode: config.approvalMode,
        model: config.model,
        systemPromptAppend: config.systemPromptAppend,
        env: config.modelBaseUrl ? { ANTHROPIC_BASE_URL: config.modelBaseUrl } : undefined,
        extraArgs: config.providerArgs,
        resumeSessionId: deps.resumeSessionId,
        armMonitor: config.claudeMonitor,
        inbox: inboxWanted((deps.env ?? process.env).AGENT_RELAY_CLAUDE_INBOX),
        logger: deps.logger,
        clock: deps.clock,
      });
    }
    default:
      throw new RunnerError(
        "NOT_SUPPORTED",
        `the ${config.provider} provider is not wired into this build yet`,
      );
  }
}

/** The codex executable: --provider-bin, else `codex` on PATH, else the package's own (its native binary, no Node wrapper). */
function codexBinary(config: RunnerConfig, own: CodexBinary): CodexBinary {
  const bin = resolveProviderBin("codex", config.providerBin);
  return bin.includes(join("node_modules", ".bin")) ? own : { path: bin, env: {} };
}

async function createCodexAdapter(
  config: RunnerConfig,
  deps: AdapterDeps,
  tmuxSocket: string,
): Promise<ProviderAdapter> {
  const { CodexAdapter, resolveCodexBinary } = await import("./codex/index.ts");
  const env = deps.env ?? process.env;
  // A person's own Codex login (ChatGPT or API key) is copied into the agent's private CODEX_HOME.
  const userHome = env.CODEX_HOME ?? join(env.HOME ?? homedir(), ".codex");
  const auth = join(userHome, "auth.json");
  return new CodexAdapter({
    codexHome: join(deps.stateDir, "codex-home"),
    model: config.model,
    effort: config.effort,
    approvalMode: config.approvalMode,
    systemPromptAppend: config.systemPromptAppend,
    modelProvider: config.modelBaseUrl
      ? { baseUrl: config.modelBaseUrl, envKey: "OPENAI_API_KEY" }
      : undefined,
    authJsonFrom: existsSync(auth) ? auth : undefined,
    resumeThreadId: deps.resumeSessionId,
    profile: deps.profile,
    binary: { ...codexBinary(config, resolveCodexBinary()), wrap: deps.isolation?.wrap },
    tmuxSocket,
    logger: deps.logger,
    clock: deps.clock,
  });
}
