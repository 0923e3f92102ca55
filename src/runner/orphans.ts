// What a runner leaves behind when it is killed without a chance to stop (SIGKILL, a crash, power to the terminal):
// its tmux server keeps the provider running and the tasks it held stay in progress. Each runner keeps a small
// record (~/.agent-relay/runners/<agent>.json, out of an isolated provider's reach); the next runner of the same
// agent reads it, ends what is left, and resumes the tasks.
import { readFileSync, rmSync } from "node:fs";
import type { Logger } from "pino";
import { z } from "zod";
import { processTree, terminateAll } from "../providers/claude/process-tree.ts";
import { isProcessRunning } from "../providers/tmux/process.ts";
import { runTmux } from "../providers/tmux/run.ts";
import type { Clock } from "../util/clock.ts";
import { errorMessage } from "../util/errors.ts";
import { writePrivateJsonFile } from "./info-file.ts";

const HeldTask = z.object({ taskId: z.number().int(), messageId: z.number().int(), claimHeld: z.boolean() });
export type HeldTask = z.infer<typeof HeldTask>;

const Record = z.object({
  runnerPid: z.number().int(),
  /** The runner's start time in clock ticks since boot (/proc/<pid>/stat field 22), so a reused pid is told apart. */
  runnerStart: z.string().optional(),
  tmuxSocket: z.string(),
  /** TMUX_TMPDIR the runner ran with: where its tmux socket lives. */
  tmuxTmpdir: z.string().optional(),
  tasks: z.array(HeldTask),
});
export type LeftoversRecord = z.infer<typeof Record>;

/** Start time of `pid` (field 22 of /proc/<pid>/stat); undefined without /proc or when it is gone. */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Whether the runner a record names still runs (same pid and, where /proc tells, the same start). */
function predecessorAlive(r: LeftoversRecord): boolean {
  if (r.runnerPid === process.pid || !isProcessRunning(r.runnerPid)) return false;
  const start = processStartTicks(r.runnerPid);
  return r.runnerStart === undefined || start === undefined || start === r.runnerStart;
}

export interface ReclaimResult {
  /** The predecessor was dead and something of it was ended. */
  ended: boolean;
  /** The runner the record names is still running (its record is left as it is). */
  predecessorAlive: boolean;
  /** Tasks the dead predecessor held: the new runner resumes them. */
  tasks: HeldTask[];
}

export class AgentLeftovers {
  private written = "";
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /**
   * Read the predecessor's record. A predecessor still running is left alone (a new hello replaces it on the
   * relay and it stops its own provider). A dead one's tmux server and every process under its panes are ended.
   */
  async reclaim(): Promise<ReclaimResult> {
    const previous = this.read();
    if (!previous) return { ended: false, predecessorAlive: false, tasks: [] };
    if (predecessorAlive(previous)) {
      this.log.warn(
        { pid: previous.runnerPid },
        "another runner of this agent is still running; leaving it be",
      );
      return { ended: false, predecessorAlive: true, tasks: [] };
    }
    const env = previous.tmuxTmpdir ? { TMUX_TMPDIR: previous.tmuxTmpdir } : undefined;
    const panes = await runTmux(previous.tmuxSocket, ["list-panes", "-a", "-F", "#{pane_pid}"], {
      env,
    }).catch(() => "");
    const pids: number[] = [];
    for (const pane of panes
      .split("\n")
      .map(Number)
      .filter((p) => p > 1))
      pids.push(...(await processTree(pane)));
    const serverUp = panes !== "";
    if (serverUp) await runTmux(previous.tmuxSocket, ["kill-server"], { env }).catch(() => undefined);
    await terminateAll(pids, this.clock);
    if (serverUp || pids.length > 0 || previous.tasks.length > 0) {
      this.log.warn(
        { pid: previous.runnerPid, socket: previous.tmuxSocket, ended: pids, tasks: previous.tasks.length },
        "the previous runner of this agent died; ended the provider it left and resuming its tasks",
      );
    }
    return { ended: serverUp || pids.length > 0, predecessorAlive: false, tasks: previous.tasks };
  }

  /**
   * Record this runner (and, as they change, the tasks it holds); a failed write is logged, never fatal.
   * Writes are chained, so the file always ends up with the latest record.
   */
  write(r: Omit<LeftoversRecord, "runnerPid" | "runnerStart">): Promise<void> {
    const record: LeftoversRecord = {
      runnerPid: process.pid,
      runnerStart: processStartTicks(process.pid),
      ...r,
    };
    const text = JSON.stringify(record);
    if (text === this.written) return this.writing;
    this.written = text;
    this.writing = this.writing.then(() =>
      writePrivateJsonFile(this.path, record, "runner leftovers record").catch((e) =>
        this.log.warn({ err: errorMessage(e) }, "could not write the runner's leftovers record"),
      ),
    );
    return this.writing;
  }

  /** A runner that stopped cleanly leaves nothing behind; a record a newer runner wrote stays. */
  async remove(): Promise<void> {
    await this.writing;
    if (this.read()?.runnerPid === process.pid) rmSync(this.path, { force: true });
  }

  private read(): LeftoversRecord | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch {
      return undefined;
    }
    try {
      return Record.parse(JSON.parse(text));
    } catch (e) {
      this.log.warn({ err: errorMessage(e), path: this.path }, "ignoring an unreadable leftovers record");
      return undefined;
    }
  }
}
