// Claude's tmux pane: reads its state (screen + session file) and types into it safely — paste, then a separate
// Enter whose landing is confirmed, and never a key while a dialog is open.
import { type Clock, sleep } from "../../util/clock.ts";
import { RunnerError } from "../../util/errors.ts";
import type { PaneRef, PaneStatus, Tmux } from "../tmux/index.ts";
import { isAlive, processTree, survivors, terminateAll } from "./process-tree.ts";
import { classifyScreen, pendingInput, type ScreenState, screenSummary } from "./screen.ts";
import { activityOf, type ClaudeActivity, type ClaudeSessionFile, readSessionFile } from "./session-file.ts";

/** Claude's pid inside a bubblewrap pid namespace (bwrap is pid 1; the launcher execs claude as pid 2). */
const ISOLATED_CLAUDE_PID = 2;

export interface Snapshot {
  screen: ScreenState;
  /** The screen without blank lines, for needs-input events and errors. */
  summary: string;
  raw: string;
  exited: boolean;
}

/** Gap between the paste and its Enter: an Enter in the same breath is swallowed right after start-up. */
const ENTER_GAP_MS = 120;
const LANDING_TIMEOUT_MS = 2_500;

export class ClaudeTerminal {
  /** Claude's process tree as last seen: after an unexpected exit its orphans can only be found this way. */
  private knownTree: number[] = [];

  constructor(
    private readonly tmux: Tmux,
    readonly pane: PaneRef,
    private readonly sessionsDir: string,
    private readonly clock: Clock,
  ) {}

  paneStatus(): Promise<PaneStatus> {
    return this.tmux.paneStatus(this.pane.paneId);
  }

  /** Esc, as a person stops a running turn (the watcher sees the turn end: no Stop hook fires for it). */
  interrupt(): Promise<void> {
    return this.tmux.sendKeys(this.pane.paneId, ["Escape"]);
  }

  async snapshot(): Promise<Snapshot> {
    const status = await this.paneStatus();
    if (status.state === "gone") return { screen: "starting", summary: "", raw: "", exited: true };
    const raw = await this.tmux.capturePane(this.pane.paneId).catch(() => "");
    return { screen: classifyScreen(raw), summary: screenSummary(raw), raw, exited: status.state === "dead" };
  }

  /**
   * Claude's own busy/idle/waiting from `sessions/<pid>.json` (the pane pid is claude's pid: the launcher execs).
   * Under --isolate the pane runs bubblewrap, and claude is pid 2 of its pid namespace: it names the file so.
   */
  async activity(): Promise<ClaudeActivity> {
    return activityOf(await this.sessionFile());
  }

  /** Claude's `sessions/<pid>.json` (busy/idle, the inbox socket it bound), by either pid. */
  async sessionFile(): Promise<ClaudeSessionFile | undefined> {
    const own = await readSessionFile(this.sessionsDir, this.pane.pid);
    return own ?? (await readSessionFile(this.sessionsDir, ISOLATED_CLAUDE_PID));
  }

  /** True when no key may be sent: a dialog on screen, the session file waiting, or a PermissionRequest pending. */
  private async dialogOpen(permissionOpen: () => boolean): Promise<{ open: boolean; snap: Snapshot }> {
    const snap = await this.snapshot();
    if (snap.exited) throw new RunnerError("DELIVERY_FAILED", "claude has exited");
    const open =
      permissionOpen() ||
      snap.screen === "permission" ||
      snap.screen === "dialog" ||
      (await this.activity()) === "waiting";
    return { open, snap };
  }

  /** Wait until no dialog is open; DELIVERY_FAILED after `timeoutMs` (the runner retries later). */
  async waitForNoDialog(
    timeoutMs: number,
    permissionOpen: () => boolean,
    signal?: AbortSignal,
  ): Promise<Snapshot> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      const { open, snap } = await this.dialogOpen(permissionOpen);
      if (!open) return snap;
      if (this.clock.now() >= deadline) {
        throw new RunnerError("DELIVERY_FAILED", `a dialog is open in claude:\n${snap.summary.slice(-800)}`);
      }
      await sleep(this.clock, 200, signal);
    }
  }

  /** Wait until Claude is idle at its prompt (for slash commands, which must not queue behind a turn). */
  async waitForIdle(timeoutMs: number, permissionOpen: () => boolean, signal?: AbortSignal): Promise<void> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      const { open, snap } = await this.dialogOpen(permissionOpen);
      const activity = await this.activity();
      const idle = activity === "idle" || (activity === "unknown" && snap.screen === "ready");
      if (!open && idle && snap.screen !== "busy") return;
      if (this.clock.now() >= deadline)
        throw new RunnerError("TIMEOUT", "claude did not become idle in time");
      await sleep(this.clock, 200, signal);
    }
  }

  /**
   * Paste `text` (sanitised, bracketed), then press Enter separately and confirm it landed (the input box is
   * empty again, or claude exited for `/exit`). Enter is retried once; never while a dialog is open.
   * `checked` is a snapshot the caller just took with no dialog open (saves re-reading the screen).
   */
  async submit(
    text: string,
    permissionOpen: () => boolean,
    signal?: AbortSignal,
    checked?: Snapshot,
  ): Promise<void> {
    const before = checked ?? (await this.waitForNoDialog(0, permissionOpen, signal));
    // Text left in the box (an Esc puts the interrupted prompt back) would be glued to ours: clear it first.
    if (pendingInput(before.raw) !== "") await this.tmux.sendKeys(this.pane.paneId, ["C-u"]);
    await this.tmux.pasteText(this.pane.paneId, text, { signal });
    for (let attempt = 0; attempt < 2; attempt++) {
      await sleep(this.clock, ENTER_GAP_MS, signal);
      // A permission dialog may have opened since the paste (a turn was running): an Enter now would approve it.
      const { open, snap } = await this.dialogOpen(permissionOpen);
      if (open)
        throw new RunnerError("DELIVERY_FAILED", "a dialog opened before Enter; the text was not submitted");
      if (attempt > 0 && pendingInput(snap.raw) === "") return;
      await this.tmux.sendKeys(this.pane.paneId, ["Enter"]);
      if (await this.waitForLanding(signal)) return;
    }
    throw new RunnerError("DELIVERY_FAILED", "claude did not take the pasted text (Enter did not land)");
  }

  private async waitForLanding(signal?: AbortSignal): Promise<boolean> {
    const deadline = this.clock.now() + LANDING_TIMEOUT_MS;
    for (;;) {
      const snap = await this.snapshot();
      if (snap.exited || pendingInput(snap.raw) === "") return true;
      if (snap.screen === "permission" || snap.screen === "dialog") return false;
      if (this.clock.now() >= deadline) return false;
      await sleep(this.clock, 50, signal);
    }
  }

  /** How often `pattern` (a global-safe, non-sticky regex) shows on the screen now. */
  async countOnScreen(pattern: RegExp): Promise<number> {
    return (await this.snapshot()).raw.split(pattern).length - 1;
  }

  /** Resolve once `pattern` shows more often than `before` times (a new occurrence); TIMEOUT after `timeoutMs`. */
  async waitForScreen(
    pattern: RegExp,
    before: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const deadline = this.clock.now() + timeoutMs;
    while (this.clock.now() < deadline) {
      if ((await this.countOnScreen(pattern)) > before) return;
      await sleep(this.clock, 200, signal);
    }
    throw new RunnerError("TIMEOUT", `the screen never showed ${pattern}`);
  }

  async waitForExit(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = this.clock.now() + timeoutMs;
    while (this.clock.now() < deadline) {
      if ((await this.paneStatus()).state !== "running") return;
      await sleep(this.clock, 100, signal);
    }
    throw new RunnerError("TIMEOUT", `claude did not exit within ${timeoutMs} ms`);
  }

  /** Refresh the remembered process tree (the watcher calls this now and then). */
  async rememberTree(): Promise<void> {
    const tree = await processTree(this.pane.pid);
    if (tree.length > 0) this.knownTree = tree;
  }

  /** Kill the session and every process claude started (they can outlive it), escalating to SIGKILL. */
  async destroy(sessionName: string): Promise<void> {
    const now = isAlive(this.pane.pid) ? await processTree(this.pane.pid) : [];
    const tree = [...new Set([...now, ...(await survivors(this.knownTree))])];
    await this.tmux.killSession(sessionName);
    await terminateAll(tree, this.clock);
  }
}
