// startRelay: the embedded relay (HTTP + WebSocket bus on Bun.serve, a Store: SQLite or PostgreSQL) as one handle to start and stop.
import { nanoid } from "nanoid";
import pkg from "../../package.json" with { type: "json" };
import { LIMITS, type Message } from "../protocol/index.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { type Logger, silentLogger } from "../util/logger.ts";
import { Authenticator } from "./auth/authenticate.ts";
import { TokenSigner } from "./auth/tokens.ts";
import { Hub } from "./bus/hub.ts";
import { FleetFeed } from "./fleet/feed.ts";
import { serveFleet } from "./fleet/server.ts";
import type { Relay } from "./http/context.ts";
import { LeaseSweeper } from "./leases.ts";
import { defaultRelayDbPath } from "./local-info.ts";
import { Notifier } from "./notifier.ts";
import { DEFAULT_QUOTAS, type RelayQuotas } from "./quotas.ts";
import { RateLimiter } from "./rate-limiter.ts";
import { followReplicas, type Replicas } from "./replicas.ts";
import { RetentionSweeper } from "./retention.ts";
import { serveRelay } from "./server.ts";
import { createStore } from "./store/index.ts";
import { MessageWriter } from "./store/message-writer.ts";

export interface RelayOptions {
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 8787; 0 picks a free port. */
  port?: number;
  /** Default ~/.agent-relay/relay.db; ":memory:" allowed. */
  dbPath?: string;
  /** A `postgres://` URL: the relay's state goes to PostgreSQL instead of the SQLite file (holds a password). */
  databaseUrl?: string;
  /** Generated when absent. */
  rootToken?: string;
  /** Default: silent. */
  logger?: Logger;
  /** Time source for claim expiry, token expiry and grace, and the offline sweep. */
  clock?: Clock;
  /** Default claim lifetime; default 15 min. */
  claimTtlMs?: number;
  /** How long a renewed token's predecessor keeps working; default 30 s. */
  tokenGraceMs?: number;
  /** How often agents are checked for going offline; default 5 s. */
  offlineSweepMs?: number;
  /** How long a bus connection may wait before sending hello; default 10 s. */
  helloTimeoutMs?: number;
  limits?: Partial<typeof LIMITS>;
  /** synchronous=FULL instead of NORMAL: survives an OS crash, not just a process kill. */
  durable?: boolean;
  /** Per-agent limits and retention (see DEFAULT_QUOTAS for the defaults). */
  quotas?: Partial<RelayQuotas>;
  /** Serve the fleet view (a web page) on this port of `host`; 0 picks a free one. Default: not served. */
  uiPort?: number;
  /** POST a JSON notification here when an agent needs input or fails, or a task fails (see Notifier). */
  notifyUrl?: string;
}

export interface RelayHandle {
  url: string;
  port: number;
  host: string;
  rootToken: string;
  /** The fleet view's address, when it is served. */
  uiUrl?: string;
  stop(): Promise<void>;
}

export const DEFAULT_RELAY_PORT = 8787;

export async function startRelay(options: RelayOptions = {}): Promise<RelayHandle> {
  const host = options.host ?? "127.0.0.1";
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger();
  const limits = { ...LIMITS, ...options.limits };
  const quotas: RelayQuotas = { ...DEFAULT_QUOTAS, ...options.quotas };
  const rootToken = options.rootToken ?? nanoid(48);
  const store = await createStore({
    path: options.dbPath ?? defaultRelayDbPath(),
    durable: options.durable ?? false,
    databaseUrl: options.databaseUrl,
  });
  let replicas: Replicas | undefined;
  try {
    const signer = new TokenSigner(await store.tokens.signingSecret(), clock);
    const auth = new Authenticator(rootToken, signer, store.tokens, clock);
    const hub = new Hub({
      store,
      auth,
      clock,
      logger,
      helloTimeoutMs: options.helloTimeoutMs ?? 10_000,
      offlineSweepMs: options.offlineSweepMs ?? 5_000,
      quotas,
    });
    const feed = new FleetFeed({ store, clock });
    const notifier = options.notifyUrl ? new Notifier({ url: options.notifyUrl, clock, logger }) : undefined;
    // A heartbeat changes the row too: it is read at most once, and only when a page or the notifier wants it.
    store.agents.onChange = (id) => {
      const read = readOnce(() => store.agents.get(id));
      feed.agentChanged(id, read);
      notifier?.agentChanged(id, read);
    };
    store.tasks.onCreated = (task) => feed.task(() => task);
    store.tasks.onTransition = (id, change) => {
      const read = readOnce(() => store.tasks.get(id));
      feed.task(read);
      if (notifier && change.status === "failed") {
        read()
          .then((task) => {
            if (task)
              notifier.taskFailed(id, task.title, change.agentId, change.outcome?.reason ?? change.body);
          })
          .catch((e) => logger.warn({ err: e, taskId: id }, "could not read a failed task"));
      }
    };
    const publish = (batch: Message[]) => {
      hub.publishMessages(batch);
      feed.messages(batch);
    };
    // On a database other relays may share, their messages, commands, revocations and receipts reach this relay too.
    if (store.replicas) {
      const { messages, commands, receipts } = store;
      replicas = await followReplicas({
        source: store.replicas,
        messages,
        commands,
        receipts,
        hub,
        publish,
        clock,
        logger,
      });
    }
    const writer = new MessageWriter(replicas?.messages ?? store.messages, publish);
    const relay: Relay = {
      store,
      writer,
      auth,
      signer,
      hub,
      feed,
      clock,
      logger,
      limits,
      quotas,
      createLimiter: new RateLimiter(clock, quotas.sendRatePerSecond, quotas.sendBurst),
      claimTtlMs: options.claimTtlMs ?? 15 * 60_000,
      tokenGraceMs: options.tokenGraceMs ?? 30_000,
      version: pkg.version,
    };
    const server = listen(relay, {
      host,
      port: options.port ?? DEFAULT_RELAY_PORT,
      // Bun's own cap is a backstop above ours, so our 413 JSON answer is what clients see.
      maxRequestBodySize: Math.max(limits.jsonBodyBytes, limits.attachmentBytes) + 1024 * 1024,
      busFrameBytes: limits.busFrameBytes,
    });
    hub.start();
    const retention = new RetentionSweeper({
      retention: store.retention,
      writer,
      quotas,
      clock,
      logger,
    });
    retention.start();
    const leaseSweep = new LeaseSweeper({
      leases: store.leases,
      connected: () => hub.connectedInstances(),
      ttlMs: quotas.leaseTtlMs,
      clock,
      logger,
    });
    leaseSweep.start();
    const port = server.port ?? 0;
    const urlHost = host.includes(":") ? `[${host}]` : host;
    const url = `http://${urlHost}:${port}`;
    logger.info({ url }, "relay listening");
    const ui = options.uiPort === undefined ? undefined : listenFleet(relay, { host, port: options.uiPort });
    const uiUrl = ui && `http://${urlHost}:${ui.port}`;
    if (uiUrl) logger.info({ url: uiUrl }, "fleet view listening");
    let stopping: Promise<void> | undefined;
    return {
      url,
      port,
      host,
      rootToken,
      ...(uiUrl ? { uiUrl } : {}),
      stop: () => {
        stopping ??= (async () => {
          const hubStopped = hub.stop();
          const replicasStopped = replicas?.stop();
          feed.close();
          notifier?.stop();
          await ui?.stop(true);
          // Sweeps already running finish before the store closes.
          const sweepsDone = Promise.all([hubStopped, replicasStopped, retention.stop(), leaseSweep.stop()]);
          await server.stop(true);
          await sweepsDone;
          await writer.flushNow();
          await store.close();
          logger.info({ url }, "relay stopped");
        })();
        return stopping;
      },
    };
  } catch (e) {
    await replicas?.stop();
    await store.close();
    throw e;
  }
}

/** Thrown when the port is taken: the message says which, in one line a CLI can print as it is. */
export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`${host}:${port} is already in use (another relay?): stop it or choose another --port`);
    this.name = "PortInUseError";
  }
}

function listen(relay: Relay, o: Parameters<typeof serveRelay>[1]): ReturnType<typeof serveRelay> {
  try {
    return serveRelay(relay, o);
  } catch (e) {
    if ((e as { code?: string }).code === "EADDRINUSE") throw new PortInUseError(o.host, o.port);
    throw e;
  }
}

function listenFleet(relay: Relay, o: { host: string; port: number }): ReturnType<typeof serveFleet> {
  try {
    return serveFleet(relay, relay.feed, o);
  } catch (e) {
    if ((e as { code?: string }).code === "EADDRINUSE") throw new PortInUseError(o.host, o.port);
    throw e;
  }
}

export type { RelayInfo } from "./local-info.ts";
export { defaultRelayDir, readRelayInfoFile, writeRelayInfoFile } from "./local-info.ts";

/** `read`, called at most once however often the answer is asked for (and not at all when nobody asks). */
function readOnce<T>(read: () => T): () => T {
  let got: { value: T } | undefined;
  return () => {
    got ??= { value: read() };
    return got.value;
  };
}
