// RelayBusClient: one WebSocket session to the relay bus — hello/welcome, heartbeats, status, typed events, reconnects.
import WebSocket from "ws";
import { busUrlFor, type ErrorFrame, LIMITS, type Meta, type WelcomeFrame } from "../protocol/index.ts";
import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";
import { TypedEmitter } from "../util/emitter.ts";
import { errorMessage } from "../util/errors.ts";
import { LogLimiter } from "../util/log-limiter.ts";
import type { Logger } from "../util/logger.ts";
import {
  AUTH_CODES,
  type BusEndCause,
  type BusEnded,
  type BusEvents,
  type BusHello,
  type BusStatus,
  type RelayBusClientOptions,
  TERMINAL_CLOSES,
  type TransportState,
} from "./bus-types.ts";
import { readServerFrame } from "./frame-reader.ts";
import { FailoverSchedule, reconnectBackoff } from "./reconnect-policy.ts";
import { RelayRoute, relayOrigin } from "./relay-route.ts";
import { StatusSlot } from "./status-slot.ts";
import { type WaitForOpenOptions, waitForOpen } from "./wait-for-open.ts";
import { closeGracefully, sendText } from "./ws-io.ts";

const SOCKET_OPTIONS = { maxPayload: LIMITS.busFrameBytes, perMessageDeflate: false } as const;

export type { BusEndCause, BusEnded, BusEvents, BusHello, BusStatus, RelayBusClientOptions, TransportState };

export class RelayBusClient {
  /** The relay this client uses now, out of one or several (a runner shares it with its HTTP client). */
  readonly route: RelayRoute;
  private socketUrl = ""; // the latest socket's relay: its failure moves the route on from it
  private state: TransportState = "idle";
  private socket: WebSocket | undefined;
  private token: string;
  private readonly hello: BusHello;
  private readonly heartbeatMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly schedule: FailoverSchedule;
  private readonly limiter: LogLimiter;
  private readonly events: TypedEmitter<BusEvents>;
  private retryTimer: TimerHandle | undefined;
  private welcomeTimer: TimerHandle | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  private readonly statusSlot = new StatusSlot();
  private closing: Promise<void> | undefined;
  private readonly closeBoundMs: number;

  constructor(private readonly options: RelayBusClientOptions) {
    this.route = options.route ?? new RelayRoute(options.relayUrl, options.logger);
    this.token = options.token;
    this.heartbeatMs = options.heartbeatIntervalMs ?? options.hello.heartbeatIntervalMs ?? 30_000;
    this.hello = { ...options.hello, heartbeatIntervalMs: this.heartbeatMs };
    this.clock = options.clock ?? systemClock;
    this.closeBoundMs = options.closeTimeoutMs ?? 2_000;
    this.log = options.logger;
    this.schedule = new FailoverSchedule(this.route, reconnectBackoff(options.reconnect, options.random));
    this.limiter = new LogLimiter(this.clock);
    this.events = new TypedEmitter((event, e) =>
      this.log.error({ event, err: errorMessage(e) }, "bus listener threw"),
    );
    // The HTTP client found the relay gone: follow it now rather than when this socket notices.
    this.route.onSwitch(({ to }) => {
      if (this.socket && this.socketUrl !== to) this.reconnectTransport(`relay switched: ${relayOrigin(to)}`);
    });
  }

  get transportState(): TransportState {
    return this.state;
  }

  /** Subscribe to an event; returns the unsubscribe function. */
  on<K extends keyof BusEvents>(event: K, listener: (value: BusEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Begin connecting (idempotent); the client keeps reconnecting until close() or until the relay ends the session (`ended`). */
  start(): void {
    if (this.state === "idle") this.connect("start");
  }

  /** Resolve once the session is welcomed; reject on close(), on `signal`, or after `timeoutMs`. */
  waitForOpen(options: WaitForOpenOptions = {}): Promise<void> {
    return waitForOpen(this, this.clock, options);
  }

  /** Use this token in the next hello; call reconnectTransport() to make it take effect now. */
  setToken(token: string): void {
    this.token = token;
  }

  /** Drop the current socket and connect again at once, without backoff (e.g. after a token renewal). */
  reconnectTransport(reason: string): void {
    if (this.state === "idle" || this.state === "closed") return;
    this.log.info({ reason }, "bus reconnecting on request");
    this.retireSocket(reason);
    this.connect(reason);
  }

  /** Publish a status: now when open, else right after the next welcome. The latest is re-sent after every welcome. */
  status(frame: BusStatus): void {
    this.statusSlot.set(JSON.stringify({ ...frame, type: "status" }));
    if (this.state === "open") this.flushStatus();
  }

  /** Like status(), resolving once this (or a newer) status was written to a welcomed socket; rejects on close(). */
  statusAsync(frame: BusStatus): Promise<void> {
    return new Promise((resolve, reject) => {
      this.statusSlot.set(JSON.stringify({ ...frame, type: "status" }), { resolve, reject });
      if (this.state === "open") this.flushStatus();
    });
  }

  /**
   * Stop for good: timers off, socket closed with 1000, pending statusAsync rejected. If the relay does not
   * answer the close handshake within closeTimeoutMs the socket is dropped. Idempotent.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.cancelTimers();
    this.retryTimer?.cancel();
    this.statusSlot.close();
    const ws = this.socket;
    this.socket = undefined;
    const wasOpen = this.state === "open";
    this.setState("closed", "close()");
    if (wasOpen) this.events.emit("disconnected", { reason: "close()" });
    this.closing = ws
      ? closeGracefully(ws, this.clock, this.closeBoundMs, "client closing")
      : Promise.resolve();
    return this.closing;
  }

  // ── connection lifecycle ──────────────────────────────────────────────
  private connect(reason: string): void {
    this.retryTimer?.cancel();
    this.setState("connecting", reason);
    this.socketUrl = this.route.current;
    let ws: WebSocket;
    try {
      ws = new WebSocket(busUrlFor(this.socketUrl), SOCKET_OPTIONS);
    } catch (e) {
      this.logLimited("socket_create", "warn", `cannot open bus socket: ${errorMessage(e)}`);
      this.scheduleReconnect("socket could not be created");
      return;
    }
    this.socket = ws;
    ws.on("open", () => {
      if (ws !== this.socket) return;
      sendText(this.socket, JSON.stringify({ ...this.hello, type: "hello", token: this.token }));
      const ms = this.options.welcomeTimeoutMs ?? 10_000;
      this.welcomeTimer = this.clock.setTimeout(() => this.lose(`no welcome within ${ms} ms`), ms);
    });
    ws.on("message", (data, isBinary) => {
      if (ws === this.socket) this.onFrame(data, isBinary);
    });
    ws.on("error", (e: Error & { code?: string }) => {
      this.logLimited(`socket:${e.code ?? e.message}`, "warn", `bus socket error: ${e.message}`);
    });
    ws.on("close", (code, why) => {
      if (ws !== this.socket) return;
      const cause = TERMINAL_CLOSES.get(code);
      if (cause) this.end({ cause, closeCode: code, detail: why.toString() });
      else this.lose(`socket closed (${code}${why.length ? ` ${why.toString()}` : ""})`);
    });
  }

  private onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    const verdict = readServerFrame(data, isBinary);
    if (!verdict.ok) {
      this.logLimited(`frame:${verdict.kind}`, "warn", `dropped a bus frame: ${verdict.detail}`);
      return;
    }
    const frame = verdict.frame;
    switch (frame.type) {
      case "message.new":
        this.events.emit("message.new", frame.message);
        return;
      case "command":
        this.events.emit("command", frame.command);
        return;
      case "receipt":
        this.events.emit("receipt", frame);
        return;
      case "welcome":
        this.onWelcome(frame);
        return;
      case "error":
        this.onErrorFrame(frame);
        return;
    }
  }

  private onWelcome(frame: WelcomeFrame): void {
    if (this.state !== "connecting") {
      this.logLimited("frame:extra_welcome", "warn", "dropped a welcome on an already welcomed session");
      return;
    }
    this.welcomeTimer?.cancel();
    this.schedule.reset();
    for (const code of AUTH_CODES) this.limiter.forget(`refused:${code}`);
    this.setState("open", "welcomed");
    this.events.emit("welcome", frame);
    this.events.emit("connected", { sessionId: frame.sessionId });
    this.armHeartbeat();
    this.flushStatus();
  }

  private onErrorFrame(frame: ErrorFrame): void {
    this.events.emit("error", frame);
    if (this.state === "connecting") {
      // Refused at hello: keep retrying with backoff (the runner decides what a refusal means), but say so once.
      const level = AUTH_CODES.has(frame.code) ? "error" : "warn";
      this.logLimited(
        `refused:${frame.code}`,
        level,
        `relay refused the bus session: ${frame.code}: ${frame.message}`,
      );
      this.lose(`refused: ${frame.code}`, "refused");
    } else {
      this.logLimited(`error:${frame.code}`, "warn", `relay bus error: ${frame.code}: ${frame.message}`);
    }
  }

  /** The relay ended the session for good: reconnecting would take the agent back from its new owner (or re-register it). */
  private end(ended: BusEnded): void {
    const reason = `relay ended the session: ${ended.cause}`;
    this.log.warn({ closeCode: ended.closeCode, detail: ended.detail }, reason);
    this.retireSocket(reason);
    this.retryTimer?.cancel();
    this.statusSlot.close();
    this.closing = Promise.resolve();
    this.setState("closed", reason);
    this.events.emit("ended", ended);
  }

  /** The socket is gone or useless: forget it, schedule the next attempt (a refusal stays on this relay). */
  private lose(reason: string, kind: "failed" | "refused" = "failed"): void {
    this.retireSocket(reason);
    this.scheduleReconnect(reason, kind);
  }

  private retireSocket(reason: string): void {
    const ws = this.socket;
    this.socket = undefined;
    this.cancelTimers();
    if (ws) void closeGracefully(ws, this.clock, this.closeBoundMs, reason);
    if (this.state === "open") this.events.emit("disconnected", { reason });
  }

  private scheduleReconnect(reason: string, kind: "failed" | "refused" = "failed"): void {
    if (this.state === "closed") return;
    this.setState("reconnecting", reason);
    const delay =
      kind === "refused" ? this.schedule.refused() : this.schedule.connectionFailed(this.socketUrl, reason);
    this.log.debug({ delay, attempt: this.schedule.attempts, reason }, "bus reconnect scheduled");
    this.retryTimer = this.clock.setTimeout(() => this.connect("retry"), delay);
  }

  // ── writes ────────────────────────────────────────────────────────────
  private armHeartbeat(): void {
    this.heartbeatTimer = this.clock.setTimeout(() => {
      if (this.state !== "open") return;
      let meta: Meta | undefined;
      try {
        meta = this.options.heartbeatMeta?.();
      } catch (e) {
        this.logLimited("heartbeat_meta", "warn", `heartbeat meta callback threw: ${errorMessage(e)}`);
      }
      sendText(this.socket, JSON.stringify({ type: "heartbeat", meta }));
      this.armHeartbeat();
    }, this.heartbeatMs);
  }

  private flushStatus(): void {
    if (this.state === "open") this.statusSlot.flush((text, done) => sendText(this.socket, text, done));
  }

  // ── helpers ───────────────────────────────────────────────────────────
  private setState(next: TransportState, reason: string): void {
    const previous = this.state;
    if (previous === next || previous === "closed") return;
    this.state = next;
    this.events.emit("transport", { state: next, previous, reason });
  }

  private cancelTimers(): void {
    this.welcomeTimer?.cancel();
    this.heartbeatTimer?.cancel();
  }

  private logLimited(kind: string, level: "warn" | "error", msg: string): void {
    const suppressed = this.limiter.shouldLog(kind);
    if (suppressed === undefined) return;
    this.log[level]({ kind, ...(suppressed > 0 ? { suppressed } : {}) }, msg);
  }
}
