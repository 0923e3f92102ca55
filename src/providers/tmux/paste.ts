// Pastes text into a pane through a named tmux buffer loaded from a private file: message text never goes on argv.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTmux } from "./run.ts";
import { sanitizeForPaste } from "./sanitize.ts";

export interface PasteOptions {
  /** Wrap in bracketed-paste markers when the application asked for them (default true). */
  bracketed?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Sanitise `text` (see sanitize.ts) and paste it into `paneId`. Does not press Enter: callers send it separately,
 * because an Enter arriving in the same breath as a paste is swallowed by some TUIs right after start-up.
 * tmux turns each `\n` into a carriage return inside the paste, as a terminal does when a person pastes.
 */
export async function pasteSanitized(
  socket: string,
  paneId: string,
  text: string,
  options: PasteOptions = {},
): Promise<void> {
  const safe = sanitizeForPaste(text);
  if (safe.length === 0) return;
  // mkdtemp makes the folder 0700; the file itself is 0600 and created exclusively.
  const dir = await mkdtemp(join(tmpdir(), "relay-paste-"));
  const file = join(dir, "text");
  const buffer = `relay-${randomBytes(8).toString("hex")}`;
  try {
    await writeFile(file, safe, { mode: 0o600, flag: "wx" });
    const paste = [
      "paste-buffer",
      ...(options.bracketed === false ? [] : ["-p"]),
      "-d",
      "-b",
      buffer,
      "-t",
      paneId,
    ];
    try {
      await runTmux(socket, ["load-buffer", "-b", buffer, file, ";", ...paste], {
        signal: options.signal,
        timeoutMs: options.timeoutMs,
      });
    } catch (e) {
      // -d deletes the buffer only after a successful paste; don't leave message text in the server.
      await runTmux(socket, ["delete-buffer", "-b", buffer]).catch(() => {});
      throw e;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
