// Finds the relay the runner talks to — the one given, a local one already running, or an embedded one started here —
// and the token it uses: a runtime token bound to this agent whenever the runner holds an admin token.
import type { Logger } from "pino";
import type { RunnerConfig } from "../config/index.ts";
import { ConfigError, relayUrlsOf } from "../config/index.ts";
import { parseRelayQuotas } from "../config/relay-options.ts";
import type { RelayHandle } from "../relay/index.ts";
import {
  defaultRelayDbPath,
  defaultRelayInfoPath,
  readRelayInfoFile,
  writeRelayInfoFile,
} from "../relay/local-info.ts";
import { RelayHttpClient } from "../relay-client/index.ts";
import { errorMessage } from "../util/errors.ts";
import { Credentials } from "./credentials.ts";
import { retryUntilStarted, type StartBudget } from "./start-retry.ts";

export const EMBEDDED_RELAY_PORT = 8787;
/** How long start-up retries a relay it cannot reach before giving up (--start-timeout-ms). */
export const DEFAULT_START_TIMEOUT_MS = 60_000;
/** Lifetime of the runtime token a runner mints for its agent; renewed long before it ends. */
export const RUNTIME_TOKEN_TTL_SECONDS = 12 * 3600;

export interface RelayTarget {
  /** The preferred relay (the first of `urls`). */
  url: string;
  /** Every relay to use, in failover order (one unless --relay-url lists several). */
  urls: string[];
  credentials: Credentials;
  /** Set when this process runs the relay; stop it last. */
  embedded?: RelayHandle;
}

/**
 * The relay named in relay.json is reused only when it answers and accepts the token written there: a relay
 * restarted with another root token, or someone else's on that port, is not ours (`GET /v1/whoami` answers 200
 * for an accepted token, 401 otherwise).
 */
async function acceptsToken(url: string, token: string): Promise<boolean> {
  try {
    const res = await fetch(new URL("/v1/whoami", url), {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(1_000),
    });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

async function startEmbedded(
  rootToken: string | undefined,
  durable: boolean,
  logger: Logger,
): Promise<RelayHandle> {
  // Loaded only here: a runner talking to a relay elsewhere never pays for the relay's code and SQLite.
  const { startRelay } = await import("../relay/index.ts");
  // The relay command's quota options reach an embedded relay through their env twins.
  const quotas = parseRelayQuotas({}, process.env);
  if (!quotas.ok) throw new ConfigError(quotas.error);
  const base = {
    dbPath: defaultRelayDbPath(),
    rootToken,
    durable,
    quotas: quotas.value,
    logger: logger.child({ part: "relay" }),
  };
  try {
    return await startRelay({ ...base, port: EMBEDDED_RELAY_PORT });
  } catch (e) {
    // The usual port is taken by something else: any free port will do, relay.json says which.
    logger.info({ err: errorMessage(e) }, `port ${EMBEDDED_RELAY_PORT} unavailable; using a free port`);
    return await startRelay({ ...base, port: 0 });
  }
}

/**
 * The relay and the agent's runtime token. Calls to the relay are retried while it is unreachable, up to the
 * budget's deadline; a refused token fails at once. The result never carries a root token.
 */
export async function resolveRelayTarget(
  config: RunnerConfig,
  logger: Logger,
  budget: StartBudget,
): Promise<RelayTarget> {
  const info = (() => {
    try {
      return readRelayInfoFile();
    } catch (e) {
      logger.warn({ err: errorMessage(e) }, "ignoring an unreadable relay.json");
      return undefined;
    }
  })();
  let urls: string[];
  let token: string | undefined = config.token;
  let embedded: RelayHandle | undefined;

  if (config.relayUrl) {
    urls = relayUrlsOf(config.relayUrl);
    // relay.json's root token goes only to its own relay: never to a list, where failing over would send it on.
    if (!token && info && urls.length === 1 && sameOrigin(info.url, urls[0]!)) token = info.rootToken;
    if (!token) {
      throw new ConfigError(
        `AGENT_RELAY_TOKEN or --token-file: required with --relay-url ${config.relayUrl} (no matching ${defaultRelayInfoPath()})`,
      );
    }
  } else if (info && (await acceptsToken(info.url, info.rootToken))) {
    urls = [info.url];
    token ??= info.rootToken;
    logger.info({ url: info.url }, "using the local relay already running");
  } else {
    embedded = await startEmbedded(info?.rootToken, config.durable, logger);
    urls = [embedded.url];
    token ??= embedded.rootToken;
    writeRelayInfoFile(defaultRelayInfoPath(), { url: embedded.url, rootToken: embedded.rootToken });
    logger.info({ url: embedded.url, info: defaultRelayInfoPath() }, "embedded relay listening");
  }

  const known = { jti: config.tokenJti, profileId: config.tokenProfile, expiresAt: config.tokenExpiresAt };
  const given = Credentials.from(token, known, config.agentId);
  try {
    const credentials = await agentCredentials(urls, given, config.agentId, budget);
    return { url: urls[0]!, urls, credentials, embedded };
  } catch (e) {
    await embedded?.stop();
    throw e;
  }
}

/**
 * With an admin (root) token, give the agent a runtime token bound to its own id instead: the provider's
 * skills then cannot act as anyone else, and the token renews itself. A runtime token given as is gets checked.
 * Never falls back to the admin token: a runner that cannot mint does not start.
 */
async function agentCredentials(urls: string[], given: Credentials, agentId: string, budget: StartBudget) {
  // Start-up fails over too: a relay of the list that is down is skipped, not waited for.
  const http = new RelayHttpClient({ relayUrl: urls, token: given.token, timeoutMs: 5_000 });
  try {
    if (given.isRuntime) {
      await retryUntilStarted("checking the runtime token", (signal) => http.listAgents({ signal }), budget);
      return given;
    }
    const answer = await retryUntilStarted(
      `minting a runtime token for agent ${agentId} at ${urls.join(",")}`,
      (signal) =>
        http.createToken(
          { agentId, profileId: "provider-agent", ttlSeconds: RUNTIME_TOKEN_TTL_SECONDS },
          { signal },
        ),
      budget,
    );
    return new Credentials(answer.token, answer.record);
  } finally {
    await http.close();
  }
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
