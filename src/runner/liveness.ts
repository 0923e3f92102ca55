// The HTTP liveness round (every 20 s): one liveness call (status, ready, heartbeat), then an unread read; pauses on auth errors until renewal.
import type { Logger } from "pino";
import type { AgentStatus, Message } from "../protocol/index.ts";
import { isHttpError } from "../relay-client/index.ts";
import type { Clock } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";
import type { RelayApi } from "./ports.ts";

export const AUTH_ERROR_LOG_WINDOW_MS = 5 * 60_000;
const UNREAD_PAGE = 200;

export interface LivenessOptions {
  relay: Pick<RelayApi, "liveness" | "getUnread">;
  identity: () => { agentId: string; instanceId: string };
  status: () => { status: AgentStatus; semanticStatus: string; ready: boolean };
  /** The meta the relay keeps for the agent (what a bus heartbeat carries). */
  heartbeatMeta: () => Record<string, unknown>;
  /** Each unread message found. */
  offer: (message: Message) => void;
  clock: Clock;
  logger: Logger;
}

export class Liveness {
  /** Set after a 401/403: no more rounds until the token is renewed. */
  private authStopped = false;
  private lastLogged = new Map<string, number>();

  constructor(private readonly o: LivenessOptions) {}

  get paused(): boolean {
    return this.authStopped;
  }

  /** The token changed: try again. */
  resume(): void {
    this.authStopped = false;
  }

  async round(signal?: AbortSignal): Promise<void> {
    if (this.authStopped) return;
    const { agentId, instanceId } = this.o.identity();
    try {
      const s = this.o.status();
      await this.o.relay.liveness(
        agentId,
        {
          instanceId,
          status: s.status,
          semanticStatus: s.semanticStatus,
          ready: s.ready,
          meta: this.o.heartbeatMeta(),
        },
        { signal },
      );
      await this.readUnread(signal);
    } catch (e) {
      if (isHttpError(e, 401) || isHttpError(e, 403)) this.authStopped = true;
      // 409 stale_instance right after start (bus hello not processed yet) is normal; the next round fixes it.
      this.logOnce(e);
    }
  }

  /** Read every unread message and offer it (bootstrap at start and after each reconnect). */
  async readUnread(signal?: AbortSignal): Promise<number> {
    const { agentId } = this.o.identity();
    let afterId = 0;
    let total = 0;
    for (;;) {
      const page = await this.o.relay.getUnread(agentId, { limit: UNREAD_PAGE, afterId }, { signal });
      for (const m of page) this.o.offer(m);
      total += page.length;
      if (page.length < UNREAD_PAGE) return total;
      afterId = page[page.length - 1]!.id;
    }
  }

  private logOnce(e: unknown): void {
    const kind = isHttpError(e) ? `http-${e.status}` : ((e as { code?: string })?.code ?? "error");
    const now = this.o.clock.now();
    const last = this.lastLogged.get(kind);
    if (last !== undefined && now - last < AUTH_ERROR_LOG_WINDOW_MS) return;
    this.lastLogged.set(kind, now);
    this.o.logger.warn({ kind, err: errorMessage(e) }, "relay liveness round failed");
  }
}
