// The tmux socket an agent's runner uses, named after the agent id: the same across restarts, one per agent.
import { createHash } from "node:crypto";
import { join } from "node:path";

/** tmux names: letters, digits, `_` and `-` only (`.` and `:` are target separators). */
export function tmuxName(raw: string): string {
  return raw.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 100);
}

/** Ids longer than this are cut, and then told apart by their hash (a socket path must fit in 104 bytes). */
const PLAIN_MAX = 40;

/**
 * `agent-relay-<id>` for an id tmux can use as it is; otherwise the id made safe and cut short, plus 8 hex digits
 * of its hash, so `a.b` and `a_b` (or two long ids sharing a prefix) never share a server. A restart of the agent
 * derives the same name, which is what `attach <agent>` and the clean-up of a killed runner rely on.
 */
export function agentTmuxSocket(agentId: string): string {
  const safe = tmuxName(agentId);
  if (safe === agentId && agentId.length <= PLAIN_MAX) return `agent-relay-${agentId}`;
  const hash = createHash("sha256").update(agentId).digest("hex").slice(0, 8);
  return `agent-relay-${safe.slice(0, PLAIN_MAX)}-${hash}`;
}

/**
 * Where tmux puts a `-L` socket: $TMUX_TMPDIR (or /tmp)/tmux-<uid>/<name>. tmux itself creates that folder 0700
 * and refuses to use it when another user owns it or it is open to others, so the socket stays private.
 */
export function tmuxSocketPath(socket: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(env.TMUX_TMPDIR || "/tmp", `tmux-${process.getuid?.() ?? 0}`, socket);
}
