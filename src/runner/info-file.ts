// The runner info file: who this runner is and where to reach it, written atomically with mode 0600.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import type { Clock } from "../util/clock.ts";
import { systemClock } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";

/** Writing the info file failed; `cause` holds the file-system error. */
export class InfoFileError extends Error {
  readonly code = "INFO_FILE_WRITE_FAILED";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "InfoFileError";
  }
}

export const RunnerInfo = z.object({
  agentId: z.string(),
  runnerId: z.string(),
  provider: z.string(),
  controlUrl: z.string(),
  pid: z.number().int(),
  tmuxSession: z.string().optional(),
  tmuxSocket: z.string().optional(),
  /** Epoch ms. */
  startedAt: z.number(),
  providerSessionId: z.string().optional(),
  /** Epoch ms of this write. */
  updatedAt: z.number(),
});
export type RunnerInfo = z.infer<typeof RunnerInfo>;
export type RunnerInfoFields = Omit<RunnerInfo, "updatedAt">;

/** Writes `info` to `path` via a temp file + rename, so readers never see a half-written file. */
export function writeRunnerInfoFile(path: string, info: RunnerInfo): Promise<void> {
  return writePrivateJsonFile(path, info, "runner info file");
}

/** JSON to `path`, mode 0600 from the start (its folder 0700), atomically (temp file + rename). */
export async function writePrivateJsonFile(path: string, value: unknown, what: string): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    // Created 0600 from the start: the file names the control URL, which hooks pair with the secret.
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, 0o600);
    await rename(temp, path);
  } catch (cause) {
    // Best effort: the temp file may never have been created.
    await rm(temp, { force: true }).catch(() => {});
    throw new InfoFileError(`cannot write ${what} ${path}`, { cause });
  }
}

/** Reads and validates a runner info file (for tools and tests). */
export async function readRunnerInfoFile(path: string): Promise<RunnerInfo> {
  return RunnerInfo.parse(JSON.parse(await readFile(path, "utf8")));
}

/**
 * Keeps the file in step with the runner: write() at start, update() after each spawn, remove() on exit.
 * Writes are serialised so a later update never lands before an earlier one.
 */
export class RunnerInfoFile {
  private info: RunnerInfoFields | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly clock: Clock = systemClock,
  ) {}

  get current(): RunnerInfo | undefined {
    return this.info && { ...this.info, updatedAt: this.clock.now() };
  }

  write(info: RunnerInfoFields): Promise<void> {
    this.info = { ...info };
    return this.enqueue();
  }

  /**
   * Write the file, or rewrite it with `fields` keeping the first write's startedAt (the runner's start). Never
   * throws: the runner works without its info file, so a failure is only logged.
   */
  async save(fields: RunnerInfoFields, log: Pick<Logger, "warn">): Promise<void> {
    try {
      if (this.info) await this.update({ ...fields, startedAt: this.info.startedAt });
      else await this.write(fields);
    } catch (e) {
      log.warn({ err: errorMessage(e) }, "could not write the runner info file");
    }
  }

  /** Merges `patch` into what was last written and rewrites the file. */
  update(patch: Partial<RunnerInfoFields>): Promise<void> {
    if (!this.info) throw new InfoFileError("runner info file updated before it was written");
    this.info = { ...this.info, ...patch };
    return this.enqueue();
  }

  /** Deletes the file (after pending writes); missing is fine. */
  remove(): Promise<void> {
    this.info = undefined;
    const next = this.chain.catch(() => {}).then(() => rm(this.path, { force: true }));
    this.chain = next;
    return next;
  }

  private enqueue(): Promise<void> {
    const snapshot = { ...this.info!, updatedAt: this.clock.now() };
    const next = this.chain.catch(() => {}).then(() => writeRunnerInfoFile(this.path, snapshot));
    this.chain = next;
    return next;
  }
}
