// The Codex adapter's lifecycle as one tagged union; a live app-server's parts live in its variant.
import type { ProviderExit } from "../adapter.ts";
import type { CodexAppServerProcess } from "./process.ts";
import type { CodexRpc } from "./rpc.ts";
import type { CodexSession } from "./session.ts";

export interface Live {
  providerSessionId: string;
  proc: CodexAppServerProcess;
  rpc: CodexRpc;
  session: CodexSession;
  cwd: string;
  /** The spawn's handle: resolves once the server has exited and the clean-up after it (leftovers) is done. */
  exited: Promise<ProviderExit>;
  /** Called by whichever path cleaned up (shutdown or the unexpected exit); `exited` waits for it. */
  cleanedUp: () => void;
}

/** A live spawn's parts, with its `exited` handle: the server's exit once the clean-up after it is done. */
export function liveSpawn(parts: Omit<Live, "exited" | "cleanedUp">): Live {
  const done = Promise.withResolvers<void>();
  const exited = Promise.all([parts.proc.exited, done.promise]).then(([exit]) => ({
    exitCode: exit.exitCode,
    signal: exit.signal,
  }));
  return { ...parts, exited, cleanedUp: done.resolve };
}

/** stopped → starting → running → stopping → stopped (shutdown, or the server exiting on its own). */
export type AdapterState =
  | { kind: "stopped" }
  | { kind: "starting"; abort: AbortController; settled: Promise<void> }
  | { kind: "running"; live: Live }
  | { kind: "stopping"; live: Live };
