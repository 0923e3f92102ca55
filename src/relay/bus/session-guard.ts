// What one agent may hold on the bus: a bounded number of sessions, each with a bounded backlog of unsent
// frames. A session that does not drain is closed (4408) rather than left to grow the relay's memory; its
// client reconnects and reads what it missed from unread, and pending commands are pushed again after hello.
import type { ServerWebSocket } from "bun";
import { BUS_CLOSE } from "../../protocol/index.ts";
import type { Clock } from "../../util/clock.ts";
import { LogLimiter } from "../../util/log-limiter.ts";
import type { Logger } from "../../util/logger.ts";
import type { RelayQuotas } from "../quotas.ts";
import type { BusSocketData } from "./session.ts";

type Socket = ServerWebSocket<BusSocketData>;

/** Bun's answer to send(): bytes written, -1 queued under backpressure, 0 dropped. */
const DROPPED = 0;
const QUEUED = -1;
/** A dropped push is logged at most this often (with the count held back), so a slow reader cannot flood the log. */
const DROP_LOG_WINDOW_MS = 60_000;

export type GuardQuotas = Pick<
  RelayQuotas,
  "maxSessionsPerAgent" | "sessionBufferBytes" | "sessionStallBytes" | "sessionStallMs"
>;

export class SessionGuard {
  private readonly dropLog: LogLimiter;

  constructor(
    private readonly q: GuardQuotas,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.dropLog = new LogLimiter(clock, DROP_LOG_WINDOW_MS);
  }

  /** Bun's own cap: a send past it is dropped (answered 0), which `send` turns into a close. */
  get backpressureLimit(): number {
    return this.q.sessionBufferBytes;
  }

  /** Why `agentId` may not open one more session of `instanceId`, or undefined when it may. */
  refusal(sockets: Iterable<Socket>, agentId: string, instanceId: string): string | undefined {
    let open = 0;
    for (const ws of sockets) {
      const id = ws.data.identity;
      if (ws.data.state === "open" && id?.agentId === agentId && id.instanceId === instanceId) open++;
    }
    if (open < this.q.maxSessionsPerAgent) return undefined;
    return `agent '${agentId}' already has ${open} open bus sessions, the most one agent may hold; close one first`;
  }

  /**
   * Send one frame. A frame Bun drops (the session's backlog is over the cap) is logged and the session
   * closed with 4408; a backlog over the stall threshold arms a check that closes the session if it is
   * still over when the check runs. Answers false when the frame did not go out.
   */
  send(ws: Socket, frame: string): boolean {
    if (ws.data.state === "closed") return false;
    const result = ws.send(frame);
    if (result === DROPPED) {
      const suppressed = this.dropLog.shouldLog("push-dropped");
      if (suppressed !== undefined)
        this.logger.warn(
          {
            sessionId: ws.data.sessionId,
            agentId: ws.data.identity?.agentId,
            frameBytes: frame.length,
            suppressed,
          },
          "bus push dropped: the session's unsent frames are over the cap; closing it (the client re-reads unread)",
        );
      this.close(ws, "send buffer over the cap");
      return false;
    }
    if (result === QUEUED && ws.getBufferedAmount() > this.q.sessionStallBytes) this.armStallCheck(ws);
    return true;
  }

  /** Several frames to one session, corked into one write; stops at the first that does not go out. */
  sendAll(ws: Socket, frames: readonly string[]): void {
    if (frames.length === 1) this.send(ws, frames[0]!);
    else if (frames.length > 1)
      ws.cork(() => {
        for (const frame of frames) if (!this.send(ws, frame)) return;
      });
  }

  /** Forget a closed session's pending check. */
  closed(ws: Socket): void {
    ws.data.stallTimer?.cancel();
    ws.data.stallTimer = undefined;
  }

  private armStallCheck(ws: Socket): void {
    if (ws.data.stallTimer) return;
    ws.data.stallTimer = this.clock.setTimeout(() => {
      ws.data.stallTimer = undefined;
      if (ws.data.state === "closed") return;
      const unsent = ws.getBufferedAmount();
      if (unsent <= this.q.sessionStallBytes) return;
      this.logger.warn(
        { sessionId: ws.data.sessionId, agentId: ws.data.identity?.agentId, unsentBytes: unsent },
        "bus session not draining: closing it (the client re-reads unread)",
      );
      this.close(ws, "not draining");
    }, this.q.sessionStallMs);
  }

  private close(ws: Socket, reason: string): void {
    ws.data.state = "closed";
    this.closed(ws);
    ws.close(BUS_CLOSE.slowReader, reason);
  }
}
