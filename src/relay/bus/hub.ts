// The bus hub: live WebSocket sessions, hello/status/heartbeat frames, pushes of messages and commands, offline sweep.
import type { ServerWebSocket, WebSocketHandler } from "bun";
import { nanoid } from "nanoid";
import {
  BUS_CLOSE,
  ClientFrame,
  type Command,
  describeIssues,
  type ErrorCode,
  type Message,
  type Receipt,
  type ReceiptFrame,
  SUPERVISOR_TARGET,
} from "../../protocol/index.ts";
import type { Clock } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import type { Authenticator } from "../auth/authenticate.ts";
import type { Store } from "../store/index.ts";
import { fanOutMessages } from "./fan-out.ts";
import { helloConflict } from "./hello-rules.ts";
import { recordLiveness, statusChange, touchIfCurrent } from "./liveness.ts";
import { OfflineSweep } from "./offline-sweep.ts";
import {
  type BusSocketData,
  endSession,
  firstPush,
  isClosed,
  newSocketData,
  nextState,
  parseFrameText,
  type SessionIdentity,
} from "./session.ts";
import { type GuardQuotas, SessionGuard } from "./session-guard.ts";
import { SupervisorSessions, supervisorIdentity, supervisorRefusal } from "./supervisor-sessions.ts";

type Socket = ServerWebSocket<BusSocketData>;

export interface HubOptions {
  store: Store;
  auth: Authenticator;
  clock: Clock;
  logger: Logger;
  helloTimeoutMs: number;
  offlineSweepMs: number;
  quotas: GuardQuotas;
}

export class Hub {
  private readonly sockets = new Set<Socket>();
  private readonly sweep: OfflineSweep;
  private stopped = false;
  /** Sessions per agent, and each session's unsent backlog. */
  private readonly guard: SessionGuard;
  private readonly supervisors = new SupervisorSessions();

  constructor(private readonly o: HubOptions) {
    this.guard = new SessionGuard(o.quotas, o.clock, o.logger);
    this.sweep = new OfflineSweep(o, () => this.connectedAgents());
  }

  start(): void {
    this.sweep.start();
  }

  /** Close every session and stop the sweep (resolves once a sweep in progress is done). */
  stop(): Promise<void> {
    this.stopped = true;
    const swept = this.sweep.stop();
    for (const ws of this.sockets) ws.close(BUS_CLOSE.goingAway, "relay stopping");
    this.sockets.clear();
    return swept;
  }

  newSocketData(): BusSocketData {
    return newSocketData(nanoid());
  }

  handler(maxPayloadLength: number): WebSocketHandler<BusSocketData> {
    return {
      maxPayloadLength,
      backpressureLimit: this.guard.backpressureLimit,
      open: (ws) => {
        this.sockets.add(ws);
        ws.data.helloTimer = this.o.clock.setTimeout(() => {
          if (ws.data.state === "awaiting_hello")
            this.refuse(ws, "invalid_request", "no hello within the deadline", BUS_CLOSE.protocolError);
        }, this.o.helloTimeoutMs);
      },
      message: (ws, raw) => {
        ws.data.queue = ws.data.queue
          .then(() => this.onFrame(ws, typeof raw === "string" ? raw : raw.toString("utf8")))
          .catch((e) => this.o.logger.error({ err: e, sessionId: ws.data.sessionId }, "bus frame failed"));
      },
      close: (ws) => {
        const wasOpen = ws.data.state === "open";
        ws.data.state = "closed";
        ws.data.helloTimer?.cancel();
        this.guard.closed(ws);
        this.sockets.delete(ws);
        this.supervisors.delete(ws);
        // The connection proved the agent alive until now, so the offline grace (3 heartbeat intervals) starts here.
        if (wasOpen && !this.stopped && ws.data.identity)
          void touchIfCurrent(this.o.store, this.o.clock, this.o.logger, ws.data.identity);
      },
    };
  }

  /** Push new messages to every open session whose agent they match, except the sender's own; each serialised once. */
  publishMessages(batch: readonly Message[]): void {
    fanOutMessages(this.sockets, batch, (ws, frames) => this.guard.sendAll(ws, frames));
  }

  /**
   * Push a command to the open sessions of the agent that answers for it (resolved when it was created).
   * Routing never looks at a session's componentId: that is free text from hello, so it cannot pick a recipient.
   */
  publishCommand(command: Command, targetAgent: string): void {
    this.sendTo(targetAgent, JSON.stringify({ type: "command", command }), (ws) =>
      firstPush(ws.data, command.id),
    );
  }

  /** A recipient's receipt moved: tell the message's sender (its open sessions) and the supervisor. */
  publishReceipt(sender: string, messageId: number, receipt: Receipt): void {
    const frame = JSON.stringify({ type: "receipt", messageId, receipt } satisfies ReceiptFrame);
    this.sendTo(sender, frame);
    this.sendTo(SUPERVISOR_TARGET, frame);
  }

  /** To the open sessions of an agent, or of the supervisor (SUPERVISOR_TARGET). */
  private sendTo(agentId: string, frame: string, sendsTo: (ws: Socket) => boolean = () => true): void {
    const isTarget = (ws: Socket) => ws.data.state === "open" && ws.data.identity?.agentId === agentId;
    const targets =
      agentId === SUPERVISOR_TARGET ? this.supervisors.open() : [...this.sockets].filter(isTarget);
    for (const ws of targets) if (sendsTo(ws)) this.guard.send(ws, frame);
  }

  /** True while a team supervisor's session is open (commands to target `supervisor` have somewhere to go). */
  hasSupervisor(): boolean {
    return this.supervisors.connected();
  }

  /**
   * End every session whose identity matches, with `code`: 4410 for a deregistered agent (do not reconnect), 4401
   * for a revoked token (a hello with it is refused from now on).
   */
  endSessions(matches: (id: SessionIdentity) => boolean, code: number, reason: string): void {
    for (const ws of this.sockets)
      if (ws.data.identity && matches(ws.data.identity)) endSession(ws, code, reason);
  }

  private async onFrame(ws: Socket, text: string): Promise<void> {
    if (ws.data.state === "closed") return;
    const read = parseFrameText(text);
    if ("error" in read) return this.frameError(ws, read.error);
    const parsed = ClientFrame.safeParse(read.json);
    if (!parsed.success) return this.frameError(ws, `invalid frame: ${describeIssues(parsed.error.issues)}`);
    const frame = parsed.data;
    if (frame.type === "hello") return this.onHello(ws, frame);
    if (ws.data.state !== "open") return this.frameError(ws, "the first frame must be hello");
    if (ws.data.supervisor) {
      // A component, not an agent: its heartbeats only keep the socket busy; it has no status to store.
      if (frame.type === "status")
        this.sendError(ws, "invalid_request", "a supervisor session has no status");
      return;
    }
    if (frame.type === "status") return this.onLiveness(ws, statusChange(frame));
    if (frame.type === "heartbeat") return this.onLiveness(ws, { meta: frame.meta });
    // ack: optional flow control; nothing to do.
  }

  /**
   * A session keeps the identity its hello proved. Renewing the token later does not end the session
   * (the old jti is revoked after the grace, but only new requests and hellos check it).
   */
  private async onHello(ws: Socket, h: Extract<ClientFrame, { type: "hello" }>): Promise<void> {
    const next = nextState(ws.data.state, "hello");
    if (!next)
      return this.send(ws, { type: "error", code: "invalid_request", message: "hello was already sent" });
    ws.data.state = next;
    ws.data.helloTimer?.cancel();
    const auth = await this.o.auth.fromToken(h.token);
    if (ws.data.state === "closed") return;
    if (!auth.ok) return this.refuse(ws, auth.code, auth.message, BUS_CLOSE.unauthorized);
    if (h.role === "supervisor") return this.onSupervisorHello(ws, h, auth.principal);
    if (auth.principal.kind === "runtime" && auth.principal.claims.agentId !== h.agentId) {
      const message = `this token acts as '${auth.principal.claims.agentId}', not '${h.agentId}'`;
      return this.refuse(ws, "forbidden", message, BUS_CLOSE.forbidden);
    }
    const crowded = this.guard.refusal(this.sockets, h.agentId, h.instanceId);
    if (crowded) return this.refuse(ws, "rate_limited", crowded, BUS_CLOSE.tooManySessions);
    const { store, clock } = this.o;
    const conflict = await helloConflict(store, auth.principal, h);
    if (conflict) return this.refuse(ws, "conflict", conflict, BUS_CLOSE.forbidden);
    // A store that answers after a round trip leaves room for the socket to close: such a hello registers nothing.
    if (isClosed(ws)) return;
    await store.agents.register(
      {
        id: h.agentId,
        instanceId: h.instanceId,
        componentId: h.componentId,
        machine: h.machine,
        status: h.status,
        capabilities: h.capabilities,
        tags: h.tags,
        label: h.label,
        meta: h.meta,
        heartbeatIntervalMs: h.heartbeatIntervalMs,
      },
      clock.now(),
    );
    if (isClosed(ws)) return;
    ws.data.identity = {
      agentId: h.agentId,
      componentId: h.componentId,
      instanceId: h.instanceId,
      address: { agentId: h.agentId, label: h.label, tags: h.tags, capabilities: h.capabilities },
      jti: auth.principal.kind === "runtime" ? auth.principal.claims.jti : undefined,
    };
    ws.data.state = nextState(ws.data.state, "authenticated") ?? "closed";
    this.closeReplaced(h.agentId, h.instanceId);
    this.send(ws, { type: "welcome", sessionId: ws.data.sessionId, serverTime: clock.now() });
    // Commands created while this runner was away are delivered now; the runner de-duplicates by id.
    for (const command of await store.commands.pendingFor(h.agentId))
      if (firstPush(ws.data, command.id)) this.send(ws, { type: "command", command });
  }

  /** The supervisor's hello: root only; not registered; an older supervisor instance is replaced (4409). */
  private async onSupervisorHello(
    ws: Socket,
    h: Extract<ClientFrame, { type: "hello" }>,
    principal: Parameters<typeof supervisorRefusal>[0],
  ): Promise<void> {
    const refusal = supervisorRefusal(principal);
    if (refusal) {
      this.refuse(ws, "forbidden", refusal, BUS_CLOSE.forbidden);
      return;
    }
    ws.data.supervisor = supervisorIdentity(h);
    ws.data.state = nextState(ws.data.state, "authenticated") ?? "closed";
    for (const old of this.supervisors.add(ws))
      this.endReplaced(old, `supervisor instance '${h.instanceId}' said hello`, "a newer supervisor");
    this.o.logger.info({ supervisor: h.agentId, instanceId: h.instanceId }, "supervisor connected");
    this.send(ws, { type: "welcome", sessionId: ws.data.sessionId, serverTime: this.o.clock.now() });
    for (const command of await this.o.store.commands.pendingFor(SUPERVISOR_TARGET))
      if (firstPush(ws.data, command.id)) this.send(ws, { type: "command", command });
  }

  /**
   * The newest hello wins: sessions of any other instance of the agent are told `replaced` and closed with
   * 4409, so two runs never serve one agent. Sessions of the same instance (a reconnect overlap) stay.
   */
  private closeReplaced(agentId: string, instanceId: string): void {
    for (const ws of this.sockets) {
      const id = ws.data.identity;
      if (ws.data.state !== "open" || !id || id.agentId !== agentId || id.instanceId === instanceId) continue;
      this.endReplaced(ws, `instance '${instanceId}' of agent '${agentId}' said hello`, "a newer instance");
    }
  }

  /** Tell a session a newer hello took its place, and close it with 4409 (the client must not reconnect). */
  private endReplaced(ws: Socket, who: string, by: string): void {
    this.sendError(ws, "replaced", `${who}; this one is replaced`);
    endSession(ws, BUS_CLOSE.replaced, `replaced by ${by}`);
  }

  private async onLiveness(ws: Socket, change: Parameters<typeof recordLiveness>[3]): Promise<void> {
    const refused = await recordLiveness(this.o.store, this.o.clock, ws.data.identity!, change);
    if (refused) this.sendError(ws, refused.code, refused.message);
  }

  /** A bad frame before hello ends the session; after hello the session is told and kept. */
  private frameError(ws: Socket, message: string): void {
    if (ws.data.state === "open") this.sendError(ws, "invalid_request", message);
    else this.refuse(ws, "invalid_request", message, BUS_CLOSE.protocolError);
  }

  private sendError(ws: Socket, code: ErrorCode, message: string): void {
    this.send(ws, { type: "error", code, message });
  }

  private refuse(ws: Socket, code: ErrorCode, message: string, closeCode: number): void {
    this.sendError(ws, code, message);
    endSession(ws, closeCode, code);
  }

  private send(ws: Socket, frame: object): void {
    this.guard.send(ws, JSON.stringify(frame));
  }

  /** The agent instances with an open session now (their leases stay renewed, see relay/leases.ts). */
  connectedInstances(): SessionIdentity[] {
    return [...this.sockets].flatMap((ws) =>
      ws.data.state === "open" && ws.data.identity ? [ws.data.identity] : [],
    );
  }

  private connectedAgents = (): string[] => [...new Set(this.connectedInstances().map((i) => i.agentId))];
}
