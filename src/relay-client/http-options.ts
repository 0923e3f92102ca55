// The options of RelayHttpClient and of each call, and the status update it sends: the client's public types.
import type { AgentStatus, Meta } from "../protocol/index.ts";

export interface RelayHttpClientOptions {
  relayUrl: string;
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
