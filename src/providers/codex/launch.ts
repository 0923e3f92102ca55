// Brings up a ready app-server connection: process started, /readyz answered, WebSocket open, handshake done.
import type { Clock } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import { type CodexAppServerProcess, type CodexBinary, startAppServer } from "./process.ts";
import { CodexRpc } from "./rpc.ts";
import { InitializeResult } from "./schemas.ts";

export interface LaunchOptions {
  binary: CodexBinary;
  codexHome: string;
  cwd: string;
  env: Record<string, string>;
  /** Covers start-up, /readyz, connect and `initialize` together. */
  readyTimeoutMs: number;
  requestTimeoutMs?: number;
  logger: Logger;
  clock: Clock;
  signal: AbortSignal;
}

export interface LaunchedAppServer {
  proc: CodexAppServerProcess;
  rpc: CodexRpc;
}

/** Streams nobody reads: per-token deltas and rate-limit pings (empty for API-key providers). */
const OPTED_OUT_NOTIFICATIONS = [
  "item/agentMessage/delta",
  "account/rateLimits/updated",
  "item/commandExecution/outputDelta",
];

/** Start the server and finish the JSON-RPC handshake; on any failure nothing is left running. */
export async function launchAppServer(o: LaunchOptions): Promise<LaunchedAppServer> {
  const deadline = AbortSignal.any([o.signal, AbortSignal.timeout(o.readyTimeoutMs)]);
  const proc = await startAppServer({ ...o, signal: o.signal });
  let rpc: CodexRpc | undefined;
  try {
    const rpcOptions = { logger: o.logger, clock: o.clock, requestTimeoutMs: o.requestTimeoutMs };
    rpc = await CodexRpc.connect(proc.url, { ...rpcOptions, signal: deadline });
    await rpc.request(
      "initialize",
      {
        clientInfo: { name: "agent_relay_runner", title: "agent-relay runner", version: "0.1.0" },
        capabilities: { experimentalApi: false, optOutNotificationMethods: OPTED_OUT_NOTIFICATIONS },
      },
      InitializeResult,
      { signal: deadline },
    );
    rpc.notify("initialized");
    return { proc, rpc };
  } catch (e) {
    await rpc?.close(500);
    await proc.stop(2_000);
    throw e;
  }
}
