// Test helper: the relay CLI as a real child process (`bun src/cli/main.ts relay ...`), with its URL read from stdout.

import { join } from "node:path";
import type { Subprocess } from "bun";
import { waitFor } from "./wait-for.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");

export interface RelayProcess {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the URL from "relay listening on <url>". */
  waitForUrl(timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  /** SIGKILL if still running, and wait for the exit. */
  kill(): Promise<void>;
}

export function spawnRelayProcess(args: string[], env: Record<string, string>): RelayProcess {
  const proc = Bun.spawn([BUN, "src/cli/main.ts", "relay", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", AGENT_RELAY_LOG_LEVEL: "warn", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  let err = "";
  const drain = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
  };
  void drain(proc.stdout, (s) => {
    out += s;
  });
  void drain(proc.stderr, (s) => {
    err += s;
  });
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited: proc.exited,
    waitForUrl: (timeoutMs = 10_000) =>
      waitFor(() => /relay listening on (http:\/\/\S+)/.exec(out)?.[1], {
        timeoutMs,
        what: `relay URL on stdout (stderr: ${err.slice(0, 200)})`,
      }),
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}
