// Downloads message attachments into a per-agent cache folder with safe names and a size cap, re-used by id.
import { mkdir, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { AttachmentRef } from "../protocol/index.ts";
import { isHttpError, ResponseTooLargeError } from "../relay-client/errors.ts";
import { errorMessage, RunnerError } from "../util/errors.ts";

export const DEFAULT_ATTACHMENT_CAP_BYTES = 25 * 1024 * 1024;

/**
 * A name that is safe as one path segment: no separators, no `..`, no control characters, bounded length.
 * The attachment id prefix keeps names unique even when two attachments share a name.
 */
export function safeAttachmentFileName(id: string, name: string): string {
  const cleanId = id.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64) || "attachment";
  let base = name
    .normalize("NFC")
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, "")
    .replace(/[/\\]/g, "_")
    .replace(/^\.+/, "")
    .trim();
  if (base === "" || base === "." || base === "..") base = "file";
  // Keep the extension when truncating: it tells the agent what kind of file this is.
  const dot = base.lastIndexOf(".");
  const ext = dot > 0 && base.length - dot <= 16 ? base.slice(dot) : "";
  const stem = ext ? base.slice(0, dot) : base;
  base = stem.slice(0, 120) + ext;
  return `${cleanId}-${base}`;
}

export class AttachmentCache {
  constructor(
    private readonly dir: string,
    private readonly download: (id: string, options: { maxBytes: number }) => Promise<Uint8Array>,
    private readonly capBytes = DEFAULT_ATTACHMENT_CAP_BYTES,
  ) {}

  /** Local paths for the attachments, downloading the ones not cached yet. */
  async fetchAll(refs: readonly AttachmentRef[]): Promise<string[]> {
    const out: string[] = [];
    for (const ref of refs) out.push(await this.fetch(ref));
    return out;
  }

  async fetch(ref: AttachmentRef): Promise<string> {
    if (ref.size > this.capBytes) {
      throw new RunnerError(
        "DELIVERY_FAILED",
        `attachment ${ref.id} is ${ref.size} bytes, over the ${this.capBytes}-byte cap`,
      );
    }
    const path = join(this.dir, safeAttachmentFileName(ref.id, ref.name));
    const existing = await stat(path).catch(() => undefined);
    if (existing?.isFile() && existing.size === ref.size) return path;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    let bytes: Uint8Array;
    try {
      bytes = await this.download(ref.id, { maxBytes: this.capBytes });
    } catch (e) {
      // Gone, forbidden or too large will not change on a retry: refuse the message alone instead of holding back
      // every message behind it. Network errors, timeouts and 5xx stay transient (the queue retries).
      if (isPermanentDownloadError(e)) {
        throw new RunnerError(
          "DELIVERY_FAILED",
          `attachment ${ref.id} cannot be fetched: ${errorMessage(e)}`,
          {
            cause: e,
          },
        );
      }
      throw e;
    }
    if (bytes.byteLength > this.capBytes) {
      throw new RunnerError("DELIVERY_FAILED", `attachment ${ref.id} exceeded the ${this.capBytes}-byte cap`);
    }
    // Write then rename, so a crash never leaves a half file that a later run would re-use.
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, bytes, { mode: 0o600 });
    await rename(tmp, path);
    return path;
  }
}

function isPermanentDownloadError(e: unknown): boolean {
  if (e instanceof ResponseTooLargeError) return true;
  if (!isHttpError(e)) return false;
  return e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429;
}
