// Bench 6: message → visible in the tmux pane of the command provider (capture-pane poll), vs pasting straight into the pane.
import { randomBytes } from "node:crypto";
import { CommandAdapter } from "../src/providers/command/index.ts";
import { Tmux } from "../src/providers/tmux/index.ts";
import { echoAgentCommand } from "../test/fixtures/echo-agent-record.ts";
import {
  median,
  mintToken,
  percentile,
  post,
  QUICK,
  type Row,
  row,
  say,
  startRelayChild,
  until,
} from "./support/common.ts";
import { startRunnerWith } from "./support/null-runner.ts";

const SESSION = "agent";

/** Poll the pane every 5 ms until `needle` shows; resolves with performance.now() at the capture that saw it. */
async function visible(tmux: Tmux, needle: string, timeoutMs = 20_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const screen = await tmux.capturePane(SESSION);
    const at = performance.now();
    if (screen.includes(needle)) return at;
    if (at > deadline) throw new Error(`"${needle}" not on screen after ${timeoutMs} ms:\n${screen}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function terminalBench(): Promise<Row[]> {
  const n = QUICK ? 4 : 20;
  const socket = `relay-bench-${randomBytes(4).toString("hex")}`;
  const tmux = new Tmux(socket);
  const relay = await startRelayChild();
  // The product's default pacing (quiet 1.5 s, Enter 150 ms after the paste, 150 ms screen polls): what a user gets.
  const adapter = new CommandAdapter({
    command: echoAgentCommand(),
    tmuxSocket: socket,
    tmuxSession: SESSION,
    env: { ECHO_AGENT_WORK_MS: "0" },
    readyPattern: /ready> $/,
  });
  const r = await startRunnerWith(adapter, {
    relayUrl: relay.url,
    token: await mintToken(relay.url, "term"),
    agentId: "term",
  });
  const runnerMs: number[] = [];
  const floorMs: number[] = [];
  try {
    const idle = () =>
      until(
        () => r.runner.work.semanticStatus === "idle" && r.runner.queue.pendingCount === 0,
        30_000,
        "idle",
      );
    for (let i = 0; i < n; i++) {
      await idle();
      const nonce = `T${i}x${randomBytes(3).toString("hex")}`;
      const t0 = performance.now();
      await post(relay.url, { to: "term", from: "b", subject: nonce, body: "bench" });
      runnerMs.push((await visible(tmux, nonce)) - t0);
    }
    // Floor: the same text pasted straight into the same pane (tmux paste + Enter), no relay, no runner.
    for (let i = 0; i < n; i++) {
      await idle();
      const nonce = `F${i}x${randomBytes(3).toString("hex")}`;
      const t0 = performance.now();
      await tmux.pasteText(SESSION, `[relay message #0 from b] ${nonce}\nbench`);
      await tmux.sendKeys(SESSION, ["Enter"]);
      floorMs.push((await visible(tmux, nonce)) - t0);
    }
    const m = median(runnerMs);
    const p95 = percentile(runnerMs, 95);
    const fm = median(floorMs);
    const fp95 = percentile(floorMs, 95);
    say(
      `terminal (${n} msgs): runner median ${m.toFixed(0)} ms p95 ${p95.toFixed(0)} ms; ` +
        `direct paste median ${fm.toFixed(0)} ms p95 ${fp95.toFixed(0)} ms`,
    );
    return [
      row("terminal: message visible in pane (median)", m, "ms", fm, { note: "command provider defaults" }),
      row("terminal: message visible in pane (p95)", p95, "ms", fp95, { note: "command provider defaults" }),
    ];
  } finally {
    await r.stop();
    await tmux.killServer().catch(() => {});
    await relay.kill();
  }
}

if (import.meta.main) {
  for (const x of await terminalBench()) say(JSON.stringify(x));
}
