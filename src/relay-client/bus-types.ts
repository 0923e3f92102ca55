// RelayBusClient's public types (transport states, events, hello and status frames, options) and the error and
// close codes that end its session.
import {
  BUS_CLOSE,
  type Command,
  type ErrorFrame,
  type HelloFrame,
  type Message,
  type Meta,
  type ReceiptFrame,
  type StatusFrame,
  type WelcomeFrame,
} from "../protocol/index.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { RelayRoute } from "./relay-route.ts";

/**
 * idle ──start()──▶ connecting ──welcome──▶ open
 *                      ▲   │ fail / timeout    │ socket lost
 *          backoff due │   ▼                   ▼
 *                   reconnecting ◀─────────────┘
 * reconnectTransport() goes straight back to connecting; close() ends in closed from anywhere, and so does
 * the relay closing the session with 4409 (replaced) or 4410 (deregistered), which also emits `ended`.
 */
export type TransportState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

/** Why the relay ended the session for good: another instance took the agent over, or it was deregistered. */
export type BusEndCause = "replaced" | "deregistered";

/** The relay closed the session with a terminal code; the client is closed and does not reconnect. */
export interface BusEnded {
  cause: BusEndCause;
  closeCode: number;
  /** The close reason the relay gave. */
  detail: string;
}

export type BusEvents = {
  "message.new": Message;
  command: Command;
  /** A receipt of a message this agent sent moved. */
  receipt: ReceiptFrame;
  error: ErrorFrame;
  welcome: WelcomeFrame;
  connected: { sessionId: string };
  disconnected: { reason: string };
  /** Emitted once, after `disconnected`, when the relay ends the session for good (see BusEnded). */
  ended: BusEnded;
  transport: { state: TransportState; previous: TransportState; reason: string };
};

export type BusHello = Omit<HelloFrame, "type" | "token">;
/**
 * A status this client publishes. It always carries the full meta: the latest status is re-sent after every
 * welcome, and a frame without meta would leave whatever meta the relay last stored.
 */
export type BusStatus = Omit<StatusFrame, "type"> & { meta: Meta };

export interface RelayBusClientOptions {
  /** One relay, or several in failover order (the first preferred). */
  relayUrl: string | readonly string[];
  /** Share the current relay with an HTTP client (then `relayUrl` is ignored). */
  route?: RelayRoute;
  token: string;
  hello: BusHello;
  heartbeatIntervalMs?: number;
  /** Called for every heartbeat; its answer travels as the heartbeat's `meta`. */
  heartbeatMeta?: () => Meta;
  logger: Logger;
  clock?: Clock;
  reconnect?: { initialMs?: number; maxMs?: number };
  random?: () => number;
  /** How long to wait for `welcome` after `hello` before trying again (default 10 s). */
  welcomeTimeoutMs?: number;
  /** How long close() waits for the close handshake before dropping the socket (default 2 s). */
  closeTimeoutMs?: number;
}

/** Relay close codes that end the session for good, and why. */
export const TERMINAL_CLOSES: ReadonlyMap<number, BusEndCause> = new Map([
  [BUS_CLOSE.replaced, "replaced"],
  [BUS_CLOSE.deregistered, "deregistered"],
]);

/** Error codes that mean the token was refused: reconnecting with the same token cannot help. */
export const AUTH_CODES = new Set(["unauthorized", "forbidden", "token_expired"]);
