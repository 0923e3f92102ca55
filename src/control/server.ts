// The runner's localhost control server: hooks, monitors and scripts on this machine talk to the runner through it.
import type { BunRequest, Server } from "bun";
import { readJson } from "../http/body.ts";
import { errorResponse, HttpError, toErrorResponse } from "../http/errors.ts";
import { bunRoutes, type RouteTable, unmatchedRoute, wrapRoutes } from "../http/routes.ts";
import type { Message, PermissionDecision } from "../protocol/index.ts";
import { LIMITS } from "../protocol/index.ts";
import type { ProviderEvent, ProviderEventListener, TerminalAttachSpec } from "../providers/adapter.ts";
import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";
import { TypedEmitter } from "../util/emitter.ts";
import { RunnerError } from "../util/errors.ts";
import { type Logger, silentLogger } from "../util/logger.ts";
import { DeliveryStream, type PublishResult } from "./delivery-stream.ts";
import { type PendingPermission, PermissionBroker } from "./permission-broker.ts";
import {
  buildRoutes,
  type ControlHandler,
  NO_STORE,
  type RelayCredentials,
  type RouteContext,
} from "./routes.ts";
import { type ControlEvent, DEFAULT_PERMISSION_TIMEOUT_MS, DeliveryLineInput } from "./schemas.ts";
import { generateSecret, MIN_SECRET_LENGTH, presentedSecret, secretMatches } from "./secret.ts";

export type TerminalSpecSource = () =>
  | TerminalAttachSpec
  | undefined
  | Promise<TerminalAttachSpec | undefined>;
export type ReplyObligationsSource = (signal: AbortSignal) => Promise<Message[]>;
/** The system note for the provider after a compaction (undefined: none due), answered to its SessionStart hook. */
export type CompactionNoteSource = (signal: AbortSignal) => Promise<string | undefined>;
export type ControlEventListener = (event: ControlEvent) => void;

export interface ControlServerOptions {
  /** Use this secret instead of generating one (≥ 32 characters). */
  secret?: string;
  logger?: Logger;
  clock?: Clock;
  /** Largest accepted JSON body (default 256 KiB). */
  maxBodyBytes?: number;
  /** A request body must arrive within this (default 10 s); else 408 and the connection closes. */
  bodyTimeoutMs?: number;
  /** Bun's idle timeout for connections in seconds (default 10); long-poll and stream routes are exempt. */
  idleTimeoutSeconds?: number;
  /** How long a permission request waits when it names no timeout (default 5 min; max is always 30 min). */
  defaultPermissionTimeoutMs?: number;
  /** Bound on the reply-obligations callback (default 10 s). */
  upstreamTimeoutMs?: number;
  deliveryBufferSize?: number;
  keepAliveMs?: number;
  terminalAttachSpec?: TerminalSpecSource;
  replyObligations?: ReplyObligationsSource;
  /** The relay URL and current token the provider's own CLI calls should use (GET /v1/credentials). */
  credentials?: () => RelayCredentials | undefined;
}

type State = "created" | "running" | "stopping" | "stopped";

/** Environment variable names the runner passes to the provider so its hooks and monitor can reach this server. */
export const CONTROL_ENV = {
  url: "AGENT_RELAY_CONTROL_URL",
  secret: "AGENT_RELAY_CONTROL_SECRET",
  providerSessionId: "AGENT_RELAY_PROVIDER_SESSION_ID",
} as const;

const STOP_GRACE_MS = 2_000;

export class ControlServer {
  readonly secret: string;
  private state: State = "created";
  private stopping: Promise<void> | undefined;
  private server: Server<undefined> | undefined;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly events: TypedEmitter<{ provider: ProviderEvent; control: ControlEvent }>;
  private readonly broker: PermissionBroker;
  private readonly stream: DeliveryStream;
  private readonly routes: RouteTable<ControlHandler>;
  private terminalSource: TerminalSpecSource | undefined;
  private obligationsSource: ReplyObligationsSource | undefined;
  private compactionNoteSource: CompactionNoteSource | undefined;

  constructor(private readonly options: ControlServerOptions = {}) {
    if (options.secret !== undefined && options.secret.length < MIN_SECRET_LENGTH) {
      throw new RunnerError(
        "CONFIG_INVALID",
        `control server secret must be at least ${MIN_SECRET_LENGTH} characters`,
      );
    }
    const idle = options.idleTimeoutSeconds;
    if (idle !== undefined && !(Number.isInteger(idle) && idle >= 1 && idle <= 255)) {
      throw new RunnerError(
        "CONFIG_INVALID",
        `idleTimeoutSeconds must be an integer from 1 to 255, got ${idle}`,
      );
    }
    this.secret = options.secret ?? generateSecret();
    this.log = (options.logger ?? silentLogger()).child({ component: "control" });
    this.clock = options.clock ?? systemClock;
    this.events = new TypedEmitter((event, err) =>
      this.log.error({ err, event }, "control server listener threw"),
    );
    this.terminalSource = options.terminalAttachSpec;
    this.obligationsSource = options.replyObligations;
    this.broker = new PermissionBroker({ clock: this.clock, emit: (e) => this.emitProvider(e) });
    this.stream = new DeliveryStream({
      clock: this.clock,
      emit: (e) => this.emitControl(e),
      ...(options.deliveryBufferSize !== undefined ? { bufferSize: options.deliveryBufferSize } : {}),
      ...(options.keepAliveMs !== undefined ? { keepAliveMs: options.keepAliveMs } : {}),
    });
    const bodyLimits = {
      maxBytes: options.maxBodyBytes ?? 256 * 1024,
      maxDepth: LIMITS.jsonDepth,
      deadline: { ms: options.bodyTimeoutMs ?? 10_000, clock: this.clock },
      codes: { malformed: "invalid_json", invalid: "invalid_body" },
    };
    this.routes = buildRoutes({
      broker: this.broker,
      stream: this.stream,
      readJson: (req, schema) => readJson(req, schema, bodyLimits),
      keepOpen: (req) => this.server?.timeout(req, 0),
      emitProvider: (e) => this.emitProvider(e),
      emitControl: (e) => this.emitControl(e),
      defaultPermissionTimeoutMs: options.defaultPermissionTimeoutMs ?? DEFAULT_PERMISSION_TIMEOUT_MS,
      upstreamTimeoutMs: options.upstreamTimeoutMs ?? 10_000,
      terminalAttachSpec: () => this.terminalSource,
      replyObligations: () => this.obligationsSource,
      compactionNote: () => this.compactionNoteSource,
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
  }

  /** Listen on 127.0.0.1 on a random port. */
  start(): void {
    if (this.state !== "created")
      throw new RunnerError("CONFIG_INVALID", `control server cannot start when ${this.state}`);
    const unmatched = unmatchedRoute(this.routes);
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      development: false,
      idleTimeout: this.options.idleTimeoutSeconds ?? 10,
      routes: bunRoutes(wrapRoutes(this.routes, (handler) => (req: BunRequest) => this.handle(req, handler))),
      // Not a route: still the secret first (a stranger learns nothing about paths), then 404 or 405.
      fetch: (req) =>
        this.handle(req as BunRequest, async () => {
          throw unmatched(req);
        }),
      error: (e) => {
        this.log.error({ err: e }, "control request failed");
        return errorResponse(new HttpError(500, "internal", "internal error"), NO_STORE);
      },
    });
    this.state = "running";
    this.log.info({ url: this.url }, "control server listening");
  }

  /** Answer pending permission requests with `abort`, end delivery streams, and close the listener. Idempotent. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    if (this.state !== "running") {
      this.state = "stopped";
      return Promise.resolve();
    }
    this.state = "stopping";
    this.stopping = this.shutdown().finally(() => {
      this.state = "stopped";
    });
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.broker.settleAll("abort", "runner stopping");
    this.stream.closeAll();
    const server = this.server!;
    // Graceful first, so the answers just given are flushed; then force whatever is still open.
    let timer: TimerHandle | undefined;
    const forced = new Promise<void>((resolve) => {
      timer = this.clock.setTimeout(resolve, STOP_GRACE_MS);
    });
    await Promise.race([server.stop(false), forced]);
    timer?.cancel();
    await server.stop(true);
    this.log.info("control server stopped");
  }

  get port(): number {
    if (!this.server?.port) throw new RunnerError("CONFIG_INVALID", "control server is not running");
    return this.server.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Environment for the provider child: its hooks and monitor find and authenticate to this server with it. */
  childEnv(providerSessionId: string): Record<string, string> {
    return {
      [CONTROL_ENV.url]: this.url,
      [CONTROL_ENV.secret]: this.secret,
      [CONTROL_ENV.providerSessionId]: providerSessionId,
    };
  }

  onProviderEvent(listener: ProviderEventListener): () => void {
    return this.events.on("provider", listener);
  }

  onControlEvent(listener: ControlEventListener): () => void {
    return this.events.on("control", listener);
  }

  setTerminalAttachSpec(source: TerminalSpecSource | undefined): void {
    this.terminalSource = source;
  }

  setReplyObligations(source: ReplyObligationsSource | undefined): void {
    this.obligationsSource = source;
  }

  setCompactionNote(source: CompactionNoteSource | undefined): void {
    this.compactionNoteSource = source;
  }

  /** Answer a waiting permission request; false for unknown (or already settled) ids. */
  resolvePermission(approvalId: string, decision: PermissionDecision, reason?: string): boolean {
    return this.broker.resolve(approvalId, decision, reason);
  }

  pendingPermissions(): PendingPermission[] {
    return this.broker.list();
  }

  /** Stream one line to connected monitors; `accepted: false` means no monitor is connected (fall back). */
  publishDelivery(item: DeliveryLineInput): PublishResult {
    const parsed = DeliveryLineInput.parse(item);
    if (this.state !== "running") return { accepted: false, monitors: 0 };
    return this.stream.publish(parsed);
  }

  get monitorConnected(): boolean {
    return this.stream.monitors > 0;
  }

  get monitorCount(): number {
    return this.stream.monitors;
  }

  /** Every request: the secret, then the state, then the route; refusals become JSON errors nothing may cache. */
  private async handle(req: BunRequest, handler: ControlHandler): Promise<Response> {
    try {
      if (!secretMatches(presentedSecret(req.headers), this.secret)) {
        throw new HttpError(401, "unauthorized", "missing or wrong control secret");
      }
      if (this.state !== "running") throw new HttpError(503, "stopping", "the runner is stopping");
      const ctx: RouteContext = { req, url: new URL(req.url), params: req.params };
      return await handler(ctx);
    } catch (e) {
      if (e instanceof HttpError) {
        if (e.status >= 500) this.log.warn({ code: e.code, msg: e.message }, "control request failed");
        else this.log.debug({ code: e.code, status: e.status }, "control request refused");
      }
      return toErrorResponse(e, (err) => this.log.error({ err }, "control request failed"), NO_STORE);
    }
  }

  private emitProvider(event: ProviderEvent): void {
    this.events.emit("provider", event);
  }

  private emitControl(event: ControlEvent): void {
    this.events.emit("control", event);
  }
}
