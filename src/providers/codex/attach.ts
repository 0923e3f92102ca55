// How a person attaches to a live Codex thread: `codex resume <thread> --remote ws://…` inside a tmux session.
import type { TerminalAttachSpec } from "../adapter.ts";
import { tmuxBaseArgs } from "../tmux/index.ts";

export interface AttachTarget {
  codexBin: string;
  codexHome: string;
  cwd: string;
  threadId: string;
  /** The app-server's listen URL; the TUI joins that process, so both see and drive one thread. */
  url: string;
  tmuxSocket: string;
  tmuxSession: string;
}

/** The TUI command alone (what runs inside the tmux session). */
export function codexResumeArgv(target: AttachTarget): string[] {
  return [target.codexBin, "resume", target.threadId, "--remote", target.url];
}

/**
 * `tmux new-session -A` attaches to the session when it exists and creates it otherwise, so the same command
 * works for the first person and every later one. The TUI needs only CODEX_HOME: the model key stays with the server.
 */
export function codexAttachSpec(target: AttachTarget): TerminalAttachSpec {
  const command = [
    "tmux",
    ...tmuxBaseArgs(target.tmuxSocket),
    "new-session",
    "-A",
    "-s",
    target.tmuxSession,
    "-c",
    target.cwd,
    "-e",
    `CODEX_HOME=${target.codexHome}`,
    ...codexResumeArgv(target),
  ];
  return {
    command,
    description: `Codex thread ${target.threadId} live in tmux session ${target.tmuxSession} (socket ${target.tmuxSocket})`,
    tmux: { socket: target.tmuxSocket, session: target.tmuxSession },
  };
}
