// One bus connection's state machine: awaiting_hello → authenticating → open → closed.
import type { ServerWebSocket } from "bun";
import { type AgentAddress, LIMITS } from "../../protocol/index.ts";
import type { TimerHandle } from "../../util/clock.ts";
import { describeTooDeep, findTooDeep } from "../../util/json-depth.ts";

export type SessionState = "awaiting_hello" | "authenticating" | "open" | "closed";

/** Who a session speaks for, fixed by its hello. */
export interface SessionIdentity {
  agentId: string;
  componentId: string;
  instanceId: string;
  address: AgentAddress;
  /** The runtime token the hello proved (undefined for the root token): revoking it ends the session. */
  jti: string | undefined;
}

/** Data Bun keeps on each ServerWebSocket of the bus. */
export interface BusSocketData {
  sessionId: string;
  state: SessionState;
  identity?: SessionIdentity;
  /** Set instead of `identity` on the team supervisor's session (role `supervisor`). */
  supervisor?: { name: string; instanceId: string; componentId: string };
  helloTimer?: TimerHandle;
  /** Armed while the session's unsent frames are over the stall threshold (SessionGuard). */
  stallTimer?: TimerHandle;
  /** Frames are handled one after another, so a status frame never overtakes the hello being verified. */
  queue: Promise<void>;
  /** The latest command ids pushed to this session: each is pushed once (see firstPush). */
  commandsPushed?: Set<string>;
}

const PUSHED_KEPT = 256;

/**
 * True the first time a command id is pushed to this session. The same command can reach a session twice — read as
 * pending right after its hello, and pushed at its creation (here, or through another relay) — and is sent once.
 */
export function firstPush(data: BusSocketData, commandId: string): boolean {
  data.commandsPushed ??= new Set();
  const pushed = data.commandsPushed;
  if (pushed.has(commandId)) return false;
  pushed.add(commandId);
  if (pushed.size > PUSHED_KEPT) pushed.delete(pushed.values().next().value!);
  return true;
}

export function newSocketData(sessionId: string): BusSocketData {
  return { sessionId, state: "awaiting_hello", queue: Promise.resolve() };
}

/** The next state, or undefined when the move is not allowed (the caller then ignores the event). */
export function nextState(
  from: SessionState,
  event: "hello" | "authenticated" | "refused" | "closed",
): SessionState | undefined {
  if (event === "closed") return "closed";
  switch (from) {
    case "awaiting_hello":
      return event === "hello" ? "authenticating" : undefined;
    case "authenticating":
      if (event === "authenticated") return "open";
      return event === "refused" ? "closed" : undefined;
    default:
      return undefined;
  }
}

/** A frame's JSON, or why it is refused: not JSON, or nested deeper than `LIMITS.jsonDepth` (naming where). */
export function parseFrameText(text: string): { json: unknown } | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { error: "frame is not valid JSON" };
  }
  const deep = findTooDeep(json, LIMITS.jsonDepth, text);
  if (deep) return { error: `invalid frame: ${describeTooDeep("", deep, LIMITS.jsonDepth)}` };
  return { json };
}

/** Read through a function: the state may have changed while a store call was awaited. */
export function isClosed(ws: { data: Pick<BusSocketData, "state"> }): boolean {
  return ws.data.state === "closed";
}

/** Close a session on purpose; frames still queued for it are ignored from now on. */
export function endSession(ws: ServerWebSocket<BusSocketData>, closeCode: number, reason: string): void {
  ws.data.state = "closed";
  ws.close(closeCode, reason);
}
