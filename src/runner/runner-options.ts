// What a runner is built from (AgentRunner's options) and its default timers.
import type { Logger } from "pino";
import type { RunnerConfig } from "../config/index.ts";
import type { ControlServerOptions } from "../control/index.ts";
import type { ProviderAdapter } from "../providers/adapter.ts";
import type { ProfileSummary } from "../providers/team-profile.ts";
import type { Clock } from "../util/clock.ts";
import type { Credentials } from "./credentials.ts";
import type { RestartPolicyLimits } from "./restart-policy.ts";
import type { SessionStore } from "./session-store.ts";
import type { UsageMeter } from "./usage-meter.ts";
import type { WorktreePlan } from "./worktree-git.ts";

export const RUNNER_TIMERS = { heartbeatMs: 30_000, livenessMs: 20_000, claimRenewalMs: 5 * 60_000 } as const;

export interface AgentRunnerOptions {
  config: RunnerConfig;
  adapter: ProviderAdapter;
  /** One relay, or several in failover order (the first preferred). */
  relayUrl: string | readonly string[];
  credentials: Credentials;
  logger: Logger;
  /** Where attachments are cached (one folder per agent below it). */
  cacheDir: string;
  clock?: Clock;
  machine?: string;
  /** Absolute path of the `agent-relay-runner` launcher, for the provider's skills. */
  binPath?: string;
  timers?: Partial<Record<keyof typeof RUNNER_TIMERS, number>>;
  restartLimits?: Partial<RestartPolicyLimits>;
  control?: ControlServerOptions;
  /** Where the provider's native session id is kept so a restarted runner resumes it. */
  sessionStore?: SessionStore;
  /** The agent's tokens and cost so far, loaded from its state dir (default: from zero, in memory). */
  usage?: UsageMeter;
  /** The first spawn resumes the saved native session (the adapter was given its id). */
  resumeFirstSpawn?: boolean;
  /** How long start() waits for the bus to open. */
  connectTimeoutMs?: number;
  /** The applied team profile, as status meta shows it (names and counts only). */
  profile?: ProfileSummary;
  /** --worktree: the agent's own worktree (config.cwd already points inside it). */
  worktree?: WorktreePlan;
}
