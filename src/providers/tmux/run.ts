// Runs one tmux client command against a private server, with a timeout; failures become TMUX_FAILED errors.
import { ExecaError, execa } from "execa";
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

/** Run `tmux -L socket -f /dev/null ...args`; resolve with stdout, reject with RunnerError("TMUX_FAILED"). */
export async function runTmux(socket: string, args: string[], options: TmuxRunOptions = {}): Promise<string> {
  const what = args.find((a) => !a.startsWith("-")) ?? "tmux";
  try {
    const result = await execa("tmux", [...tmuxBaseArgs(socket), ...args], {
      timeout: options.timeoutMs ?? DEFAULT_TMUX_TIMEOUT_MS,
      forceKillAfterDelay: 1_000,
      cancelSignal: options.signal,
      env: options.env,
      extendEnv: true,
      stdin: "ignore",
      stripFinalNewline: false,
    });
    return result.stdout;
  } catch (e) {
    if (e instanceof ExecaError) {
      const why = e.timedOut
        ? `timed out after ${options.timeoutMs ?? DEFAULT_TMUX_TIMEOUT_MS} ms`
        : e.isCanceled
          ? "aborted"
          : String(e.stderr ?? "").trim() || e.shortMessage;
      throw new RunnerError("TMUX_FAILED", `tmux ${what} failed: ${why}`, { cause: e });
    }
    throw new RunnerError("TMUX_FAILED", `tmux ${what} failed to run`, { cause: e });
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
