// The options of RelayHttpClient and of each call, and the status update it sends: the client's public types.
import type { AgentStatus, Meta } from "../protocol/index.ts";
import type { Logger } from "../util/logger.ts";
import type { RelayRoute } from "./relay-route.ts";

export interface RelayHttpClientOptions {
  /** One relay, or several in failover order (the first preferred). */
  relayUrl: string | readonly string[];
  /** Share the current relay with a bus client (then `relayUrl` is ignored). */
  route?: RelayRoute;
  /** Where relay switches are logged (a route passed in logs through its own logger). */
  logger?: Logger;
  token?: string | undefined;
  /** Per-request deadline (default 10 s). */
  timeoutMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface AgentStatusUpdate {
  status: AgentStatus;
  instanceId: string;
  semanticStatus?: string;
  meta?: Meta;
}
