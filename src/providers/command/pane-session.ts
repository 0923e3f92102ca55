// Creates, readies and destroys the one tmux session the command provider runs its program in.
import type { Logger } from "pino";
import { sleep } from "../../util/clock.ts";
import { errorMessage, RunnerError } from "../../util/errors.ts";
import type { SpawnContext } from "../adapter.ts";
import { endProcess, type PaneExit, type PaneRef, type Tmux, type TmuxKey } from "../tmux/index.ts";
import type { CommandAdapterOptions } from "./options.ts";
import { ReadyDetector, screenTail } from "./status.ts";

/** How long a program gets to end on Ctrl-C before it is sent Ctrl-D (see askToExit). */
const CTRL_C_WAIT_MS = 500;

export function describeExit(exit: PaneExit): string {
  if (exit.state === "gone") return "its tmux session disappeared";
  if (exit.exitCode !== null) return `exit code ${exit.exitCode}`;
  return exit.signal ? `killed by ${exit.signal}` : "killed by a signal";
}

export function exitFields(exit: PaneExit | undefined): { exitCode: number | null; signal: string | null } {
  return exit?.state === "dead"
    ? { exitCode: exit.exitCode, signal: exit.signal }
    : { exitCode: null, signal: null };
}

export class PaneSession {
  constructor(
    private readonly tmux: Tmux,
    private readonly o: CommandAdapterOptions,
    private readonly log: Logger,
  ) {}

  /** Start the program in a fresh session (replacing a stale one of the same name) and wait until it is ready. */
  async start(ctx: SpawnContext, signal: AbortSignal): Promise<PaneRef> {
    const { tmuxSession: name, command } = this.o;
    if (await this.tmux.hasSession(name)) {
      this.log.warn("a stale tmux session with this name exists; replacing it");
      await this.tmux.killSession(name);
      // A server whose last session just went is shutting down; finish it so new-session starts a fresh one.
      await this.killServerIfEmpty();
    }
    let pane: PaneRef;
    try {
      // Not aborted midway: a session half-created by a killed tmux client could not be cleaned up by its pid.
      pane = await this.tmux.newSession({
        name,
        cwd: this.o.cwd ?? ctx.cwd,
        // The runner's variables (control URL, secret, session id) must win over user-supplied ones.
        env: { ...this.o.env, ...ctx.env },
        command,
        width: this.o.width,
        height: this.o.height,
      });
    } catch (e) {
      await this.tmux.killSession(name).catch(() => {});
      await this.killServerIfEmpty();
      const why = `could not start ${command[0]} in tmux: ${errorMessage(e)}`;
      throw new RunnerError("PROVIDER_SPAWN_FAILED", why, { cause: e });
    }
    try {
      await this.waitUntilReady(pane, signal);
    } catch (e) {
      await this.destroy(pane);
      throw e;
    }
    return pane;
  }

  /**
   * Ready when the ready pattern matches, or (without one) when the screen has been still for `quietMs`.
   * A handshake with a deadline: it fails loudly (PROVIDER_NOT_READY, with the screen) instead of assuming success.
   */
  private async waitUntilReady(pane: PaneRef, signal: AbortSignal): Promise<void> {
    const { clock, readyPattern, spawnDeadlineMs, command } = this.o;
    const deadline = clock.now() + spawnDeadlineMs;
    const detector = new ReadyDetector({ quietMs: this.o.quietMs, readyPattern, startedAt: clock.now() });
    for (;;) {
      if (signal.aborted) throw aborted(signal.reason);
      const { screen, status } = await this.tmux.snapshot(pane.paneId);
      if (status.state !== "running") {
        const exit = status.state === "dead" ? await this.tmux.waitForExit(pane.paneId) : status;
        // tmux scrolls the last output into history to print "Pane is dead", so read some history too.
        const last = await this.tmux.capturePane(pane.paneId, { startLine: -100 }).catch(() => screen);
        const why = `${command[0]} ended during start-up (${describeExit(exit)}); screen:\n${screenTail(last)}`;
        throw new RunnerError("PROVIDER_SPAWN_FAILED", why);
      }
      if (detector.observe(screen, clock.now())) return;
      if (clock.now() >= deadline) {
        const waitedFor = readyPattern
          ? `the ready pattern ${readyPattern}`
          : `${this.o.quietMs} ms of quiet`;
        const why = `${command[0]} was not ready within ${spawnDeadlineMs} ms (waited for ${waitedFor})`;
        throw new RunnerError("PROVIDER_NOT_READY", `${why}; screen:\n${screenTail(screen)}`);
      }
      try {
        await sleep(clock, this.o.activePollMs, signal);
      } catch (e) {
        throw aborted(e);
      }
    }
  }

  /**
   * Ctrl-C, then Ctrl-D (EOF) with the time left; the exit, or undefined if it did not come. Ctrl-C gets at most
   * CTRL_C_WAIT_MS: a shell at its prompt (bash, sh) ignores it, and waiting half the timeout there made every stop
   * of a shell agent take seconds; a program that exits on Ctrl-C does so at once.
   */
  async askToExit(pane: PaneRef, timeoutMs: number): Promise<PaneExit | undefined> {
    const deadline = this.o.clock.now() + timeoutMs;
    const keys: TmuxKey[] = ["C-c", "C-d"];
    for (const [i, key] of keys.entries()) {
      try {
        await this.tmux.sendKeys(pane.paneId, [key]);
      } catch (e) {
        this.log.warn({ err: errorMessage(e), key }, "could not send the exit key");
      }
      const left = deadline - this.o.clock.now();
      const exit = await this.waitForExit(
        pane,
        i === 0 ? Math.min(Math.floor(left / 2), CTRL_C_WAIT_MS) : left,
      );
      if (exit) return exit;
    }
    return undefined;
  }

  private async waitForExit(pane: PaneRef, ms: number): Promise<PaneExit | undefined> {
    if (ms <= 0) return undefined;
    const timeout = new AbortController();
    const timer = this.o.clock.setTimeout(() => timeout.abort(), ms);
    try {
      return await this.tmux.waitForExit(pane.paneId, {
        clock: this.o.clock,
        intervalMs: 100,
        signal: timeout.signal,
      });
    } catch (e) {
      if (timeout.signal.aborted) return undefined;
      throw e;
    } finally {
      timer.cancel();
    }
  }

  /** Kill the session, make sure its program is gone, and stop the private server once it holds no session. */
  async destroy(pane: PaneRef): Promise<void> {
    await this.tmux.killSession(this.o.tmuxSession).catch((e) => {
      this.log.warn({ err: errorMessage(e) }, "kill-session failed");
    });
    // kill-session hangs the program up; one that ignores SIGHUP gets SIGTERM, then SIGKILL.
    if (!(await endProcess(pane.pid, this.o.clock))) {
      this.log.error({ pid: pane.pid }, "the provider's process survived SIGKILL");
    }
    await this.killServerIfEmpty();
  }

  private async killServerIfEmpty(): Promise<void> {
    const sessions = await this.tmux.listSessions().catch(() => ["unknown"]);
    if (sessions.length === 0) await this.tmux.killServer().catch(() => {});
  }
}

function aborted(cause: unknown): RunnerError {
  return new RunnerError("ABORTED", "the command provider's start-up was aborted", { cause });
}
