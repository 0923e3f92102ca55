// A throw-away private tmux server per test: unique socket name, killed (with its socket file) afterwards.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tmux } from "../../src/providers/tmux/index.ts";
import { isProcessRunning } from "../../src/providers/tmux/process.ts";

export interface TmuxSandbox {
  tmux: Tmux;
  socket: string;
  /** A private temp folder for record files and working directories. */
  dir: string;
  cleanup(): Promise<void>;
}

export function createTmuxSandbox(prefix = "t"): TmuxSandbox {
  const socket = `relay-test-${prefix}-${randomBytes(4).toString("hex")}`;
  const tmux = new Tmux(socket);
  const dir = mkdtempSync(join(tmpdir(), `relay-${prefix}-`));
  return {
    tmux,
    socket,
    dir,
    async cleanup() {
      await tmux.killServer().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether a process with this pid still runs (a zombie waiting for init to reap it does not count). */
export const isAlive = isProcessRunning;
