// The team supervisor's bus session: a component, not an agent. It says hello with role `supervisor` and the
// root token, is never registered, receives no messages and reports no status; it receives the commands
// addressed to target `supervisor`. One supervisor per relay: the newest hello wins, as for an agent.
import type { ServerWebSocket } from "bun";
import type { HelloFrame } from "../../protocol/index.ts";
import type { Principal } from "../auth/authenticate.ts";
import type { BusSocketData } from "./session.ts";

type Socket = ServerWebSocket<BusSocketData>;

/** Why this hello may not open a supervisor session, or undefined when it may. */
export function supervisorRefusal(principal: Principal): string | undefined {
  if (principal.kind === "root") return undefined;
  return "only the root token may say hello as the supervisor";
}

export class SupervisorSessions {
  private readonly sockets = new Set<Socket>();

  /** True while a supervisor session is open. */
  connected(): boolean {
    for (const ws of this.sockets) if (ws.data.state === "open") return true;
    return false;
  }

  /**
   * Track a welcomed supervisor session; answers the open sessions of any other supervisor instance, which the
   * caller ends as replaced. Sessions of the same instance (a reconnect overlap) stay.
   */
  add(ws: Socket): Socket[] {
    const replaced = [...this.sockets].filter(
      (other) =>
        other.data.state === "open" && other.data.supervisor?.instanceId !== ws.data.supervisor?.instanceId,
    );
    for (const old of replaced) this.sockets.delete(old);
    this.sockets.add(ws);
    return replaced;
  }

  delete(ws: Socket): void {
    this.sockets.delete(ws);
  }

  open(): Socket[] {
    return [...this.sockets].filter((ws) => ws.data.state === "open");
  }
}

/** What the hub keeps of a supervisor's hello. */
export function supervisorIdentity(h: Pick<HelloFrame, "agentId" | "instanceId" | "componentId">) {
  return { name: h.agentId, instanceId: h.instanceId, componentId: h.componentId };
}
