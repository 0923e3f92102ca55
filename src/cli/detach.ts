// Start this bin again in the background (its own session, output to a log file) and wait until it is up or gone:
// what `up -d` and the runner's `--detach` share.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { BIN_PATH } from "./bin-path.ts";
import { waitUntil } from "./team-io.ts";

export type DetachedOutcome<T> =
  | { kind: "up"; pid: number; value: T }
  | { kind: "exited"; pid: number; code: number | null; signal: string | null }
  | { kind: "timeout"; pid: number };

/**
 * Run `agent-relay-runner ...args` detached (setsid: no terminal, a hang-up of ours does not reach it), stdout and
 * stderr appended to `logFile` (0600; its folder must exist), stdin closed. Resolves once `ready(pid)` answers
 * something, the child exits, or `timeoutMs` passes (the child is then stopped with SIGTERM).
 */
export async function startDetached<T>(o: {
  args: string[];
  logFile: string;
  env: NodeJS.ProcessEnv;
  ready: (pid: number) => T | undefined | Promise<T | undefined>;
  timeoutMs: number;
}): Promise<DetachedOutcome<T>> {
  const fd = openSync(o.logFile, "a", 0o600);
  const child = spawn(BIN_PATH, o.args, { detached: true, stdio: ["ignore", fd, fd], env: o.env });
  closeSync(fd);
  child.unref();
  const pid = child.pid ?? -1;
  let exit: { code: number | null; signal: string | null } | undefined;
  child.once("exit", (code, signal) => {
    exit = { code, signal };
  });
  const outcome = await waitUntil<DetachedOutcome<T>>(async () => {
    if (exit) return { kind: "exited", pid, ...exit };
    const value = await o.ready(pid);
    return value === undefined ? undefined : { kind: "up", pid, value };
  }, o.timeoutMs);
  if (outcome) return outcome;
  child.kill("SIGTERM");
  return { kind: "timeout", pid };
}

/** The last `lines` lines of a log, indented, for a failure message ("" when there is no log). */
export function logTail(file: string, lines = 8): string {
  if (!existsSync(file)) return "";
  const text = readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines);
  return text.map((l) => `  ${l}`).join("\n");
}
