// Runs one tmux client command against a private server, with a timeout; failures become TMUX_FAILED errors.
import { RunnerError } from "../../util/errors.ts";

export interface TmuxRunOptions {
  /** Kill the tmux client after this long (default 5 s): a wedged server must not hang the runner. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Extra environment for the tmux client (new-session copies `update-environment` names from it). */
  env?: Record<string, string>;
}

export const DEFAULT_TMUX_TIMEOUT_MS = 5_000;

/** The argv prefix every call uses: the private socket, and no user config (it could rebind keys or hooks). */
export function tmuxBaseArgs(socket: string): string[] {
  return ["-L", socket, "-f", "/dev/null"];
}

/** How long a tmux client that ignored SIGTERM after its timeout gets before SIGKILL. */
const FORCE_KILL_AFTER_MS = 1_000;

/**
 * Run `tmux -L socket -f /dev/null ...args`; resolve with stdout, reject with RunnerError("TMUX_FAILED").
 * Bun.spawn rather than execa: this is the only child the runner starts on its hot path, and execa (with the Node
 * streams it pulls in) was 8 MB of every runner's idle RSS.
 */
export async function runTmux(socket: string, args: string[], options: TmuxRunOptions = {}): Promise<string> {
  const what = args.find((a) => !a.startsWith("-")) ?? "tmux";
  const timeoutMs = options.timeoutMs ?? DEFAULT_TMUX_TIMEOUT_MS;
  if (options.signal?.aborted) throw new RunnerError("TMUX_FAILED", `tmux ${what} failed: aborted`);
  let child: ReturnType<typeof Bun.spawn<"ignore", "pipe", "pipe">>;
  try {
    child = Bun.spawn(["tmux", ...tmuxBaseArgs(socket), ...args], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: options.env ? { ...process.env, ...options.env } : process.env,
    });
  } catch (e) {
    throw new RunnerError("TMUX_FAILED", `tmux ${what} failed to run`, { cause: e });
  }
  let ended: "timeout" | "aborted" | undefined;
  let forceKill: ReturnType<typeof setTimeout> | undefined;
  const end = (why: "timeout" | "aborted") => {
    ended ??= why;
    child.kill("SIGTERM");
    forceKill ??= setTimeout(() => child.kill("SIGKILL"), FORCE_KILL_AFTER_MS);
  };
  const timer = setTimeout(() => end("timeout"), timeoutMs);
  const onAbort = () => end("aborted");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const [stdout, stderr, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    if (ended === "timeout")
      throw new RunnerError("TMUX_FAILED", `tmux ${what} failed: timed out after ${timeoutMs} ms`);
    if (ended === "aborted") throw new RunnerError("TMUX_FAILED", `tmux ${what} failed: aborted`);
    if (code !== 0) {
      const why = stderr.trim() || `exit code ${code}${child.signalCode ? ` (${child.signalCode})` : ""}`;
      const cause = { command: ["tmux", ...args], exitCode: code, signal: child.signalCode, stderr };
      throw new RunnerError("TMUX_FAILED", `tmux ${what} failed: ${why}`, { cause });
    }
    return stdout;
  } finally {
    clearTimeout(timer);
    clearTimeout(forceKill);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** True when a TMUX_FAILED error means the server or target is simply not there (not a real failure). */
export function isTmuxAbsent(e: unknown): boolean {
  if (!(e instanceof RunnerError) || e.code !== "TMUX_FAILED") return false;
  // "no current target" and "lost server" come from a server caught while it shuts down after its last session.
  return /no server running|can't find (session|pane|window)|no current target|error connecting to|no such file or directory|server exited|lost server/i.test(
    e.message,
  );
}
