// The Codex adapter's lifecycle as one tagged union; a live app-server's parts live in its variant.
import type { CodexAppServerProcess } from "./process.ts";
import type { CodexRpc } from "./rpc.ts";
import type { CodexSession } from "./session.ts";

export interface Live {
  providerSessionId: string;
  proc: CodexAppServerProcess;
  rpc: CodexRpc;
  session: CodexSession;
  cwd: string;
}

/** stopped → starting → running → stopping → stopped; an unexpected exit goes straight to stopped. */
export type AdapterState =
  | { kind: "stopped" }
  | { kind: "starting"; abort: AbortController; settled: Promise<void> }
  | { kind: "running"; live: Live }
  | { kind: "stopping"; live: Live };
