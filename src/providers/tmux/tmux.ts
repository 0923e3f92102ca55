// A tmux server on a private socket (`tmux -L <socket>`): sessions, panes, paste, keys, exit status.
import { unlink } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { type Clock, sleep, systemClock } from "../../util/clock.ts";
import { RunnerError } from "../../util/errors.ts";
import { type TmuxKey, validateTmuxKeys } from "./keys.ts";
import { PANE_STATUS_FORMAT, type PaneExit, type PaneStatus, parsePaneStatus } from "./pane-status.ts";
import { type PasteOptions, pasteSanitized } from "./paste.ts";
import { isProcessRunning } from "./process.ts";
import { isTmuxAbsent, runTmux, type TmuxRunOptions } from "./run.ts";
import { tmuxSocketPath } from "./socket-name.ts";

const SOCKET_NAME = /^[A-Za-z0-9._-]{1,100}$/;
// tmux reads `:` and `.` in a target as window/pane separators, so session names must avoid them.
const SESSION_NAME = /^[A-Za-z0-9_@/-]{1,128}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface NewSessionOptions {
  name: string;
  cwd: string;
  /** Variables for the session's process on top of the server's environment. Never placed on argv. */
  env?: Record<string, string>;
  /** Program and arguments; run directly (no shell word splitting). */
  command: string[];
  width?: number;
  height?: number;
  historyLimit?: number;
  signal?: AbortSignal;
}

/** The pane a session's program runs in: its id (`%3`) pins later commands to it. */
export interface PaneRef {
  paneId: string;
  pid: number;
}

export type { PaneExit, PaneStatus };

export interface CaptureOptions {
  /** First line to capture; negative numbers reach into the scroll-back history (default: top of the screen). */
  startLine?: number;
  /** Join lines the terminal wrapped and keep trailing spaces (default true). */
  joinWrapped?: boolean;
}

export interface WaitForExitOptions {
  clock?: Clock;
  intervalMs?: number;
  signal?: AbortSignal;
  /** How long a dead pane's lingering process may delay its exit status (default 5 s). */
  statusWaitMs?: number;
}

/** One word for a POSIX shell, whatever it holds. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export class Tmux {
  constructor(
    readonly socket: string,
    private readonly defaults: {
      timeoutMs?: number;
      /** Wraps every session's program, e.g. in a sandbox (src/providers/isolation.ts). */
      wrap?: (argv: readonly string[]) => string[];
    } = {},
  ) {
    if (!SOCKET_NAME.test(socket)) {
      throw new RunnerError(
        "CONFIG_INVALID",
        `tmux socket name ${JSON.stringify(socket)} must match ${SOCKET_NAME}`,
      );
    }
  }

  /** Low-level escape hatch: run any tmux command on this server. Prefer the typed methods. */
  run(args: string[], options: TmuxRunOptions = {}): Promise<string> {
    return runTmux(this.socket, args, { timeoutMs: this.defaults.timeoutMs, ...options });
  }

  /** Start a detached session whose pane keeps its exit status after the program ends (remain-on-exit). */
  async newSession(o: NewSessionOptions): Promise<PaneRef> {
    if (!SESSION_NAME.test(o.name)) {
      throw new RunnerError(
        "CONFIG_INVALID",
        `tmux session name ${JSON.stringify(o.name)} must match ${SESSION_NAME}`,
      );
    }
    if (o.command.length === 0) throw new RunnerError("CONFIG_INVALID", "tmux session command is empty");
    const env = o.env ?? {};
    for (const key of Object.keys(env)) {
      if (!ENV_NAME.test(key))
        throw new RunnerError("CONFIG_INVALID", `invalid environment variable name ${key}`);
    }
    // tmux runs a one-word command through the shell; `exec` keeps the pane pid the program's own pid.
    const wrapped = this.defaults.wrap ? this.defaults.wrap(o.command) : o.command;
    const command = wrapped.length === 1 ? [`exec ${shellQuote(wrapped[0]!)}`] : wrapped;
    const cwd = isAbsolute(o.cwd) ? o.cwd : resolve(o.cwd);
    // Options are set server-wide before the program starts, so even an instant exit leaves a readable status.
    // The environment travels in the tmux client's own env and is copied by `update-environment`: on argv it
    // would be readable by every user through ps.
    const out = await this.run(
      [
        "set-option",
        "-g",
        "remain-on-exit",
        "on",
        ";",
        "set-option",
        "-g",
        "history-limit",
        String(o.historyLimit ?? 10_000),
        ";",
        "set-option",
        "-g",
        "update-environment",
        Object.keys(env).join(" "),
        ";",
        "new-session",
        "-d",
        "-s",
        o.name,
        "-c",
        cwd,
        "-x",
        String(o.width ?? 200),
        "-y",
        String(o.height ?? 50),
        "-P",
        "-F",
        "#{pane_id} #{pane_pid}",
        "--",
        ...command,
      ],
      { env, signal: o.signal },
    );
    const m = /^(%\d+) (\d+)\s*$/.exec(out);
    if (!m)
      throw new RunnerError("TMUX_FAILED", `tmux new-session printed an unexpected pane ref: ${out.trim()}`);
    return { paneId: m[1]!, pid: Number(m[2]) };
  }

  async hasSession(name: string): Promise<boolean> {
    try {
      await this.run(["has-session", "-t", `=${name}`]);
      return true;
    } catch (e) {
      if (isTmuxAbsent(e)) return false;
      throw e;
    }
  }

  /** Names of all sessions on this server; empty when the server is not running. */
  async listSessions(): Promise<string[]> {
    try {
      const out = await this.run(["list-sessions", "-F", "#{session_name}"]);
      return out.split("\n").filter(Boolean);
    } catch (e) {
      if (isTmuxAbsent(e)) return [];
      throw e;
    }
  }

  /** The pane's visible text (and history from `startLine`), one line per row. */
  capturePane(paneId: string, options: CaptureOptions = {}): Promise<string> {
    const args = ["capture-pane", "-p", "-t", paneId];
    if (options.joinWrapped !== false) args.push("-J");
    if (options.startLine !== undefined) args.push("-S", String(options.startLine));
    return this.run(args);
  }

  /** Paste text as inert characters (always sanitised; bracketed by default). Enter is a separate sendKeys. */
  pasteText(paneId: string, text: string, options: PasteOptions = {}): Promise<void> {
    return pasteSanitized(this.socket, paneId, text, { timeoutMs: this.defaults.timeoutMs, ...options });
  }

  /** Press named keys (Enter, Escape, C-c…); anything that is not an allow-listed key name is refused. */
  async sendKeys(paneId: string, keys: readonly TmuxKey[]): Promise<void> {
    validateTmuxKeys(keys);
    if (keys.length === 0) return;
    await this.run(["send-keys", "-t", paneId, ...keys]);
  }

  /** Whether the pane's program runs, ended (with its status) or the pane is gone. One cheap tmux call. */
  async paneStatus(paneId: string): Promise<PaneStatus> {
    let out: string;
    try {
      out = await this.run([
        "display-message",
        "-p",
        "-t",
        paneId,
        "#{pane_pid} #{pane_dead} #{pane_dead_status}",
      ]);
    } catch (e) {
      if (isTmuxAbsent(e)) return { state: "gone" };
      throw e;
    }
    return parsePaneStatus(out);
  }

  /** The screen and the pane's status read in one tmux call (the cheap poll the command provider runs). */
  async snapshot(
    paneId: string,
    options: CaptureOptions = {},
  ): Promise<{ screen: string; status: PaneStatus }> {
    const capture = ["capture-pane", "-p", "-t", paneId, ...(options.joinWrapped === false ? [] : ["-J"])];
    let out: string;
    try {
      out = await this.run([...capture, ";", "display-message", "-p", "-t", paneId, PANE_STATUS_FORMAT]);
    } catch (e) {
      if (isTmuxAbsent(e)) return { screen: "", status: { state: "gone" } };
      throw e;
    }
    // capture-pane ends every row with a newline; the status is the one line display-message adds after them.
    const body = out.endsWith("\n") ? out.slice(0, -1) : out;
    const cut = body.lastIndexOf("\n");
    return { screen: body.slice(0, cut + 1), status: parsePaneStatus(body.slice(cut + 1)) };
  }

  /**
   * Poll until the pane's program has ended. tmux marks a pane dead as soon as its terminal closes, but has the
   * exit status only once it reaped the process, which can linger a while after closing its terminal. So a dead
   * pane without a status is re-read while its process still runs (bounded by `statusWaitMs`), then a few more
   * times; only then is the exit reported without code or signal. An unreaped (zombie) program's own exit
   * status is read from /proc instead, because tmux 3.3 occasionally never reaps it.
   */
  async waitForExit(paneId: string, o: WaitForExitOptions = {}): Promise<PaneExit> {
    const clock = o.clock ?? systemClock;
    const interval = o.intervalMs ?? 200;
    let statuslessSince: number | undefined;
    let readsAfterProcessEnd = 0;
    for (;;) {
      const s = await this.paneStatus(paneId);
      if (s.state === "gone" || (s.state === "dead" && (s.exitCode !== null || s.signal !== null))) return s;
      if (s.state === "dead") {
        statuslessSince ??= clock.now();
        const lingering =
          isProcessRunning(s.pid) && clock.now() - statuslessSince < (o.statusWaitMs ?? 5_000);
        if (!lingering && ++readsAfterProcessEnd >= 3) return s;
      }
      await sleep(clock, s.state === "dead" ? 25 : interval, o.signal);
    }
  }

  /** Kill one session; a session or server that is already gone is not an error. */
  async killSession(name: string): Promise<void> {
    try {
      await this.run(["kill-session", "-t", `=${name}`]);
    } catch (e) {
      if (!isTmuxAbsent(e)) throw e;
    }
  }

  /** Stop the whole private server and remove its socket file. */
  async killServer(): Promise<void> {
    try {
      await this.run(["kill-server"]);
    } catch (e) {
      if (!isTmuxAbsent(e)) throw e;
    }
    await unlink(this.socketPath()).catch(() => {});
  }

  /** Whether a server answers on this socket. */
  async isServerRunning(): Promise<boolean> {
    try {
      await this.run(["list-sessions"]);
      return true;
    } catch (e) {
      if (isTmuxAbsent(e) || /no sessions/i.test(String((e as Error).message))) return false;
      throw e;
    }
  }

  /** Where tmux puts a `-L` socket: $TMUX_TMPDIR (or /tmp)/tmux-<uid>/<name>. */
  socketPath(): string {
    return tmuxSocketPath(this.socket);
  }

  /** argv a person runs to watch or take over the session. */
  attachCommand(session: string): string[] {
    return ["tmux", "-L", this.socket, "attach", "-t", session];
  }
}
