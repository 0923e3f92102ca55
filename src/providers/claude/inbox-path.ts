// Where the runner asks Claude to bind its inbox socket: a private folder (0700, ours) and a path Claude accepts
// (≤ 103 bytes), reachable from inside an --isolate sandbox when it can be.
import { createHash } from "node:crypto";
import { lstat, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { RunnerError } from "../../util/errors.ts";

/** Claude refuses a socket path longer than this (sun_path is 104 bytes on macOS, one kept for the NUL). */
export const MAX_SOCKET_PATH_BYTES = 103;

/**
 * Candidates, best first. `<config dir>/inbox.sock`: private already and inside the agent's home, which an --isolate
 * sandbox keeps. A long agent id or HOME makes it too long; then a short name in a private folder of
 * `$XDG_RUNTIME_DIR` (visible in the sandbox too), then of the temp dir (not in the sandbox: its /tmp is its own).
 */
export function inboxSocketCandidates(configDir: string, env: Record<string, string | undefined>): string[] {
  const name = `${createHash("sha256").update(configDir).digest("hex").slice(0, 16)}.sock`;
  const uid = process.getuid?.() ?? 0;
  const out = [join(configDir, "inbox.sock")];
  if (env.XDG_RUNTIME_DIR) out.push(join(env.XDG_RUNTIME_DIR, "agent-relay-inbox", name));
  out.push(join(tmpdir(), `agent-relay-inbox-${uid}`, name));
  return out;
}

/**
 * The first candidate that fits Claude's limit and whose folder is private, with a stale socket cleared. Throws
 * CONFIG_INVALID naming why each one was refused.
 */
export async function prepareInboxSocket(candidates: string[]): Promise<string> {
  const refused: string[] = [];
  for (const path of candidates) {
    try {
      await preparePath(path);
      return path;
    } catch (e) {
      refused.push((e as Error).message);
    }
  }
  throw new RunnerError("CONFIG_INVALID", `no usable path for Claude's inbox socket: ${refused.join("; ")}`);
}

async function preparePath(path: string): Promise<void> {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES)
    throw new Error(`${path} is ${bytes} bytes, over Claude's limit of ${MAX_SOCKET_PATH_BYTES}`);
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await lstat(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (st.mode & 0o777) !== 0o700 || (uid !== undefined && st.uid !== uid))
    throw new Error(`${dir} is not a private folder of ours (0700)`);
  await rm(path, { force: true });
}

/** Remove the socket (a spawn's end). */
export async function removeInboxSocket(path: string): Promise<void> {
  await rm(path, { force: true });
}
