// Reads Claude Code's own per-process state file, `<config dir>/sessions/<pid>.json`: the busy/idle truth that
// also covers an Esc interrupt or a declined permission, where no hook fires.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/** `busy` during a turn; `idle`, or `shell` when idle with a background task (the relay monitor); `waiting` + `waitingFor` in a dialog. */
export const ClaudeSessionFile = z.looseObject({
  pid: z.number(),
  sessionId: z.string(),
  status: z.string().optional(),
  waitingFor: z.string().optional(),
  updatedAt: z.number().optional(),
  /** Present once the cross-session inbox bound its socket. */
  messagingSocketPath: z.string().optional(),
});
export type ClaudeSessionFile = z.infer<typeof ClaudeSessionFile>;

export type ClaudeActivity = "busy" | "idle" | "waiting" | "unknown";

export function activityOf(file: ClaudeSessionFile | undefined): ClaudeActivity {
  switch (file?.status) {
    case "busy":
      return "busy";
    case "idle":
    case "shell":
      return "idle";
    case "waiting":
      return "waiting";
    default:
      return "unknown";
  }
}

/** The parsed state file of the claude process `pid`, or undefined while it does not exist (yet) or is mid-write. */
export async function readSessionFile(
  sessionsDir: string,
  pid: number,
): Promise<ClaudeSessionFile | undefined> {
  try {
    const parsed = ClaudeSessionFile.safeParse(
      JSON.parse(await readFile(join(sessionsDir, `${pid}.json`), "utf8")),
    );
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a transcript holds a conversation `--resume` can open. Claude writes messages to it lazily (about a
 * second after a turn), so a process killed right after its first turn leaves only metadata — and `--resume`
 * then exits with "No conversation found".
 */
export async function transcriptHasConversation(path: string | undefined): Promise<boolean> {
  if (!path) return false;
  try {
    return /"type":"(?:user|assistant)"/.test(await readFile(path, "utf8"));
  } catch {
    return false;
  }
}

/** Where Claude keeps a session's transcript in a config dir: projects/<escaped cwd>/<session id>.jsonl. */
export async function findTranscript(configDir: string, sessionId: string): Promise<string | undefined> {
  const glob = new Bun.Glob(`projects/*/${sessionId}.jsonl`);
  for await (const rel of glob.scan({ cwd: configDir, onlyFiles: true })) return join(configDir, rel);
  return undefined;
}
