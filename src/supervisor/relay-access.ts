// The supervisor's way to the relay: the runner's own resolution (given URL, local relay.json, or the embedded
// relay started here) and, per agent, a runtime token bound to that agent — the root token never reaches a runner.
import { type RunnerConfig, relayUrlsOf } from "../config/index.ts";
import { readRelayInfoFile } from "../relay/local-info.ts";
import { RelayHttpClient } from "../relay-client/index.ts";
import { Credentials } from "../runner/credentials.ts";
import { type RelayTarget, resolveRelayTarget } from "../runner/relay-target.ts";
import { type StartBudget, startBudget } from "../runner/start-retry.ts";
import { errorMessage } from "../util/errors.ts";
import type { Logger } from "../util/logger.ts";

export interface AgentAccess {
  /** The relay, or several comma-separated in failover order (a team file's `[relay] url` as given). */
  url: string;
  /** The agent's token and what is known about it, as runner environment (AGENT_RELAY_TOKEN, …). */
  env: Record<string, string>;
  token: string;
}

/** How long one relay resolution or token mint may retry a relay that is down before the caller waits and tries again. */
const RESOLVE_BUDGET_MS = 10_000;

function budget(logger: Logger, ms = RESOLVE_BUDGET_MS): StartBudget {
  return startBudget(logger, ms);
}

export class RelayAccess {
  private constructor(
    private readonly given: { relayUrl?: string; token?: string },
    private readonly logger: Logger,
    /** The relay, or several comma-separated in failover order. */
    readonly url: string,
    /** The relay this process started, when there was none; stop it last. */
    readonly embedded: RelayTarget["embedded"],
    private readonly budgetMs: number,
    /**
     * The root token, for the supervisor's own bus session and command reports: the operator's when it is one,
     * else the local relay's. Undefined when the operator gave a runtime token. Never handed to a runner.
     */
    readonly rootToken: string | undefined,
  ) {}

  /** Resolve the relay once (starting the embedded one if needed); `token` is the operator's (env), if any. */
  static async open(
    relayUrl: string | undefined,
    token: string | undefined,
    logger: Logger,
    budgetMs = RESOLVE_BUDGET_MS,
  ) {
    const given = { relayUrl, token };
    const target = await resolveRelayTarget(
      configFor(given, "relay-supervisor"),
      logger,
      budget(logger, budgetMs),
    );
    const rootToken = token
      ? Credentials.from(token, {}, "relay-supervisor").isRuntime
        ? undefined
        : token
      : (target.embedded?.rootToken ?? (target.urls.length === 1 ? localRootToken(target.url) : undefined));
    return new RelayAccess(given, logger, target.urls.join(","), target.embedded, budgetMs, rootToken);
  }

  /** A fresh runtime token for `agentId` (minted with the operator's or the local relay's admin token). */
  async forAgent(agentId: string): Promise<AgentAccess> {
    const target = await resolveRelayTarget(
      configFor({ ...this.given, relayUrl: this.url }, agentId),
      this.logger,
      budget(this.logger, this.budgetMs),
    );
    // The resolution falls back to the token it was given when minting fails (relay down, a non-admin token):
    // a runner must never get that one — it is the operator's, or bound to another agent.
    if (target.credentials.record?.agentId !== agentId) {
      throw new Error(
        `could not mint a runtime token for agent '${agentId}' (is the relay up, the token an admin token?)`,
      );
    }
    return { url: target.urls.join(","), env: target.credentials.env(), token: target.credentials.token };
  }

  /** Remove an agent whose runner died without deregistering, acting as that agent; absent is fine. */
  async deregister(access: AgentAccess, agentId: string): Promise<void> {
    const http = new RelayHttpClient({
      relayUrl: httpUrls(access.url),
      token: access.token,
      timeoutMs: 3_000,
    });
    try {
      await http.deregister(agentId);
    } catch (e) {
      this.logger.debug({ agentId, err: errorMessage(e) }, "deregister after stop");
    } finally {
      await http.close();
    }
  }

  async close(): Promise<void> {
    await this.embedded?.stop();
  }
}

/** The root token relay.json holds for the relay at `url`, if it names that relay. */
function localRootToken(url: string): string | undefined {
  try {
    const info = readRelayInfoFile();
    return info && new URL(info.url).origin === new URL(url).origin ? info.rootToken : undefined;
  } catch {
    return undefined;
  }
}

/** The relay URLs (one, or a comma-separated list) for HTTP calls (a ws:// relay URL names the same server). */
export function httpUrls(url: string): string[] {
  return relayUrlsOf(url).map((u) => u.replace(/^ws(s?):/, "http$1:"));
}

// resolveRelayTarget reads only the relay URL, the token facts and the agent id from a runner config.
function configFor(given: { relayUrl?: string; token?: string }, agentId: string): RunnerConfig {
  const partial: Pick<RunnerConfig, "relayUrl" | "token" | "agentId"> = { ...given, agentId };
  return partial as RunnerConfig;
}
