// Isolation of the provider (--isolate): its argv is wrapped in bubblewrap so that, although it runs as the same
// Unix user, it cannot read the relay's secrets or reach other agents. Inside the sandbox:
//   - ~/.agent-relay is empty except this agent's own home (config dirs, session) and its attachment cache;
//     relay.json (root token), the relay database, other agents' homes and the runner logs are gone;
//   - /tmp is private (the cwd, and read-only the runner's own install folder, are bound back when they live
//     there): tmux sockets of every server and Claude's
//     per-session inbox sockets (/tmp/cc-socks*) are out of reach; so are $TMUX_TMPDIR/tmux-<uid> and
//     $XDG_RUNTIME_DIR/cc-socks;
//   - a fresh pid namespace and /proc: no other process (the runner's /proc/<pid>/environ included) is visible;
//   - TMPDIR is the agent's own <agent home>/tmp;
//   - the sandbox dies with the pane or runner that started it.
// The network is shared (the provider talks to the relay and the runner's control server on loopback).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import type { Logger } from "pino";
import { ConfigError } from "../config/index.ts";

export type IsolateMode = "off" | "auto" | "on";

export interface IsolationPaths {
  /** ~/.agent-relay */
  relayDir: string;
  /** ~/.agent-relay/agents/<agent>: stays readable and writable. */
  agentHome: string;
  /** The agent's attachment cache: stays readable. */
  attachmentsDir: string;
  /** The provider's working directory. */
  cwd: string;
  /**
   * Where the programs the provider runs are installed (this runner's own folder: its bin, Bun and the provider
   * CLIs in node_modules): bound back read-only when they live under /tmp, which the sandbox makes private.
   */
  programDirs?: readonly string[];
  env: Record<string, string | undefined>;
}

export interface Isolation {
  /** argv → the same argv run inside the sandbox. */
  wrap(argv: readonly string[]): string[];
  /** What is hidden, for the start-up log line. */
  readonly hidden: readonly string[];
}

/** Whether bubblewrap can make a pid namespace here (no bwrap, or no user namespaces, and it cannot). */
export function bubblewrapWorks(bin = "bwrap"): { ok: true } | { ok: false; why: string } {
  const probe = spawnSync(
    bin,
    ["--die-with-parent", "--unshare-pid", "--dev-bind", "/", "/", "--proc", "/proc", "true"],
    { timeout: 5_000, stdio: ["ignore", "ignore", "pipe"] },
  );
  if (probe.error) return { ok: false, why: `bwrap not found (${probe.error.message})` };
  if (probe.status !== 0) {
    return {
      ok: false,
      why: `bwrap cannot sandbox here: ${probe.stderr.toString().trim() || `exit ${probe.status}`}`,
    };
  }
  return { ok: true };
}

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith("/"));
};

/** The bubblewrap sandbox for these paths; creates the folders it binds so their mount points exist. */
export function bubblewrapIsolation(p: IsolationPaths): Isolation {
  for (const dir of [p.agentHome, p.attachmentsDir]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const args = ["--die-with-parent", "--unshare-pid", "--dev-bind", "/", "/", "--proc", "/proc"];
  const hidden: string[] = [];
  const hide = (dir: string) => {
    args.push("--tmpfs", dir);
    hidden.push(dir);
  };
  hide("/tmp");
  for (const dir of p.programDirs ?? []) if (inside("/tmp", dir)) args.push("--ro-bind", dir, dir);
  if (inside("/tmp", p.cwd)) args.push("--bind", p.cwd, p.cwd);
  const tmuxTmpdir = p.env.TMUX_TMPDIR;
  if (tmuxTmpdir) {
    // Also when it is under /tmp: the cwd bound back may contain it. Made now (as tmux would: private) because the
    // tmux server that will hold the socket starts with the sandboxed program.
    const dir = join(tmuxTmpdir, `tmux-${process.getuid?.() ?? 0}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    hide(dir);
  }
  const xdg = p.env.XDG_RUNTIME_DIR;
  if (xdg && existsSync(xdg)) {
    // Made now (empty, private) so it can be covered: a Claude session started later would put its socket there.
    const socks = join(xdg, "cc-socks");
    mkdirSync(socks, { recursive: true, mode: 0o700 });
    hide(socks);
  }
  hide(p.relayDir);
  // An agent's own git worktree (--worktree) lives under ~/.agent-relay/worktrees: bound back, the others stay hidden.
  if (inside(p.relayDir, p.cwd)) args.push("--bind", p.cwd, p.cwd);
  args.push("--bind", p.agentHome, p.agentHome, "--ro-bind", p.attachmentsDir, p.attachmentsDir);
  // Temp files in the agent's own home rather than the private /tmp: Codex refuses to put its sandbox helper
  // under a temp dir that holds its CODEX_HOME, and nested sandboxes (Codex's own bwrap) see the real /tmp.
  const tmp = join(p.agentHome, "tmp");
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  args.push("--setenv", "TMPDIR", tmp);
  return { wrap: (argv) => ["bwrap", ...args, "--", ...argv], hidden };
}

/**
 * The isolation a runner's --isolate asks for: off (none, said in the log), auto (bubblewrap where it works,
 * else none and a warning), on (bubblewrap or a ConfigError).
 */
export function resolveIsolation(
  mode: IsolateMode,
  paths: IsolationPaths,
  log: Logger,
  probe: () => ReturnType<typeof bubblewrapWorks> = bubblewrapWorks,
): Isolation | undefined {
  if (mode === "off") {
    log.info("provider not isolated (--isolate off): it can read what this Unix user can");
    return undefined;
  }
  const works = probe();
  if (!works.ok) {
    if (mode === "on") throw new ConfigError(`--isolate on (AGENT_RELAY_ISOLATE): ${works.why}`);
    log.warn({ why: works.why }, "provider not isolated: bubblewrap is not usable here (--isolate auto)");
    return undefined;
  }
  const isolation = bubblewrapIsolation(paths);
  log.info({ hidden: isolation.hidden }, "provider isolated with bubblewrap");
  return isolation;
}
