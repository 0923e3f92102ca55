// What `attach`, `logs` and `--detach` know about an agent run on this machine: its record and its log file.
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { defaultRelayDir } from "../relay/local-info.ts";
import { writePrivateJsonFile } from "../runner/info-file.ts";
import { processStartTicks } from "../runner/orphans.ts";
import { isProcessRunning } from "../util/processes.ts";

/** An agent id as one file-name segment. */
export function safeSegment(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
}

/** Where an agent's runner writes its log when nobody watches its terminal (--detach, interactive, a team's). */
export function agentLogPath(agentId: string, base = defaultRelayDir()): string {
  return join(base, "logs", `${safeSegment(agentId)}.log`);
}

/** Create the log (0600) in its folder (0700) before anyone appends to it; an existing one is tightened. */
export function ensurePrivateLog(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, "a", 0o600));
  chmodSync(file, 0o600);
}

export const LocalAgentRecord = z.object({
  agentId: z.string(),
  provider: z.string(),
  headless: z.boolean(),
  pid: z.number().int(),
  /** The runner's start in clock ticks since boot, so a reused pid is told apart. */
  pidStart: z.string().optional(),
  /** The runner's log file, when it has one (a headless runner in a terminal logs to that terminal). */
  logFile: z.string().optional(),
  /** How to attach a terminal now (the Codex command changes with its thread); none when there is no terminal. */
  attach: z
    .object({
      command: z.array(z.string()).min(1),
      tmux: z.object({ socket: z.string(), session: z.string() }).optional(),
      tmuxTmpdir: z.string().optional(),
    })
    .optional(),
});
export type LocalAgentRecord = z.infer<typeof LocalAgentRecord>;

/** Kept beside the leftovers record (~/.agent-relay/runners/), out of an isolated provider's reach. */
export function localAgentPath(agentId: string, base = defaultRelayDir()): string {
  return join(base, "runners", `${safeSegment(agentId)}.local.json`);
}

/** The record of the agent's runner if that runner still runs; undefined when there is none or it is gone. */
export function readLiveAgent(agentId: string, base = defaultRelayDir()): LocalAgentRecord | undefined {
  let record: LocalAgentRecord;
  try {
    record = LocalAgentRecord.parse(JSON.parse(readFileSync(localAgentPath(agentId, base), "utf8")));
  } catch {
    return undefined;
  }
  if (record.agentId !== agentId || !isProcessRunning(record.pid)) return undefined;
  const start = processStartTicks(record.pid);
  if (record.pidStart !== undefined && start !== undefined && start !== record.pidStart) return undefined;
  return record;
}

/** The runner's side: write its record (0600) whenever what it says changes, and remove it at the end. */
export class LocalAgentWriter {
  private last = "";
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly onError: (e: unknown) => void,
  ) {}

  update(record: Omit<LocalAgentRecord, "pid" | "pidStart">): Promise<void> {
    const full: LocalAgentRecord = { ...record, pid: process.pid, pidStart: processStartTicks(process.pid) };
    const text = JSON.stringify(full);
    if (text === this.last) return this.writing;
    this.last = text;
    this.writing = this.writing
      .then(() => writePrivateJsonFile(this.path, full, "agent record"))
      .catch(this.onError);
    return this.writing;
  }

  async remove(): Promise<void> {
    await this.writing;
    rmSync(this.path, { force: true });
  }
}
