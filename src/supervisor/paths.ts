// Where the supervisor keeps its files under ~/.agent-relay: a private folder (0700) for its socket, pid and log.
import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { defaultRelayDir } from "../relay/local-info.ts";

export interface SupervisorPaths {
  dir: string;
  /** The control channel: a Unix socket (0600) in a 0700 folder, so only this user can reach it. */
  socket: string;
  pidFile: string;
  /** The runner pids it started (0600), for the next supervisor to clean up after a killed one. */
  runners: string;
  /** The detached supervisor's own log. */
  log: string;
  /** Runner logs: <logs>/<agent>.log. */
  logs: string;
}

export function supervisorPaths(base: string = defaultRelayDir()): SupervisorPaths {
  const dir = join(base, "supervisor");
  return {
    dir,
    socket: join(dir, "control.sock"),
    pidFile: join(dir, "supervisor.pid"),
    runners: join(dir, "runners.json"),
    log: join(dir, "supervisor.log"),
    logs: join(base, "logs"),
  };
}

/** Create the supervisor's folder with mode 0700 (tightened if it already existed). */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}
