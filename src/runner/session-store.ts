// Remembers the provider's native session (Claude session id, Codex thread id) so a restarted runner resumes it.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";

const Saved = z.object({ provider: z.string(), nativeSessionId: z.string().min(1), savedAt: z.number() });

export class SessionStore {
  constructor(
    readonly path: string,
    private readonly provider: string,
  ) {}

  /** The saved session of this provider, or undefined (none, another provider's, or unreadable). */
  async load(): Promise<string | undefined> {
    try {
      const parsed = Saved.safeParse(JSON.parse(await readFile(this.path, "utf8")));
      return parsed.success && parsed.data.provider === this.provider
        ? parsed.data.nativeSessionId
        : undefined;
    } catch {
      return undefined;
    }
  }

  async save(nativeSessionId: string): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const body = JSON.stringify({ provider: this.provider, nativeSessionId, savedAt: Date.now() });
    await writeFile(tmp, `${body}\n`, { mode: 0o600 });
    await rename(tmp, this.path);
  }
}
