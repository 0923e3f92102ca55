// Bench 7: Claude delivery latency, relay POST → the fake model's request, through the runner CLI and the relay
// monitor (median of 20); floor: the same Claude turning a direct tmux paste + Enter into a request. Then the inbox:
// the runner CLI's default path for an idle agent, and a busy agent (adapter level: the runner marks urgency).
// Runs inside `bun bench/run.ts`, or alone with `bun bench/claude-latency.ts` (merges its rows into latest.json).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pasteSanitized, runTmux } from "../src/providers/tmux/index.ts";
import { hooksSeen, makeAgent, relayMessage, startRig, stopRig } from "../test/providers/claude/harness.ts";
import {
  claudeIdleSince,
  createClaudeAgentHome,
  reapClaudeLeftovers,
  startClaudeRunner,
} from "../test/support/claude-runner.ts";
import { FakeAnthropicApi, type RecordedRequest } from "../test/support/fake-anthropic-api.ts";
import {
  median,
  mintToken,
  post,
  QUICK,
  type Row,
  row,
  say,
  startRelayChild,
  until,
} from "./support/common.ts";
import { mergeIntoResults } from "./support/results.ts";

/** Claude's monitor limit: a burst of 10 events, then 1 per 2 s; faster than that the runner pastes instead. */
const MONITOR_BURST = 8;
const MONITOR_GAP_MS = 2_100;
/** The adapter's gap between a paste and its separate Enter (an Enter in the same breath is lost). */
const ENTER_GAP_MS = 120;

export async function claudeLatencyBench(): Promise<Row[]> {
  const n = QUICK ? 4 : 20;
  const relay = await startRelayChild();
  const fake = new FakeAnthropicApi().start();
  const agent = createClaudeAgentHome("bench-claude");
  const token = await mintToken(relay.url, agent.agentId);
  const child = await startClaudeRunner({ relay, fake, agent, token, monitor: "on", inbox: "off" });
  const meta = async () => {
    const res = await fetch(`${relay.url}/v1/agents/${agent.agentId}`, {
      headers: { authorization: `Bearer ${relay.rootToken}` },
    });
    return res.status === 200 ? ((await res.json()) as { meta: Record<string, unknown> }).meta : {};
  };
  const request = (needle: string) =>
    until(() => fake.requestsContaining(needle)[0], 20_000, `a model request with ${needle}`);
  try {
    await until(async () => (await meta()).deliveryPath === "monitor", 25_000, "the relay monitor");
    const m = await meta();
    const socket = m.tmuxSocket as string;
    const target = `=${m.tmuxSession as string}:`;

    const monitorMs: number[] = [];
    const floorMs: number[] = [];
    let lastSend = 0;
    for (let i = 0; i < n; i++) {
      // Pacing, not synchronisation: beyond Claude's monitor burst the runner would paste instead.
      if (i >= MONITOR_BURST) await Bun.sleep(Math.max(0, MONITOR_GAP_MS - (Date.now() - lastSend)));
      lastSend = Date.now();
      const id = await post(relay.url, { to: agent.agentId, body: `bench sample ${i}` });
      const seen: RecordedRequest = await request(`[relay message #${id} from bench]`);
      if (!seen.lastUserText.includes("<task-notification>"))
        throw new Error(`sample ${i} was not delivered by the monitor`);
      monitorMs.push(seen.at - lastSend);
      await claudeIdleSince(agent, seen.at);

      // Floor: the same text straight into the same pane, the way the adapter pastes (paste, then Enter).
      const needle = `FLOOR-${i}-direct paste`;
      const t0 = Date.now();
      await pasteSanitized(socket, target, needle);
      await Bun.sleep(ENTER_GAP_MS);
      await runTmux(socket, ["send-keys", "-t", target, "Enter"]);
      const direct = await request(needle);
      floorMs.push(direct.at - t0);
      await claudeIdleSince(agent, direct.at);
    }
    const med = median(monitorMs);
    const floor = median(floorMs);
    say(
      `claude-latency: ${n} messages, relay POST → model request via the monitor: median ${med} ms (min ${Math.min(...monitorMs)}, max ${Math.max(...monitorMs)}); direct paste + Enter floor median ${floor} ms`,
    );
    const inboxMs = await inboxLatency(n, relay, fake);
    const inbox = median(inboxMs);
    say(`claude-latency: relay POST → model request via the inbox: median ${inbox} ms of ${n}`);
    return [
      row("claude delivery, POST → model request, monitor path (median)", med, "ms", floor, {
        target: "≤ 500 ms",
        met: med <= 500,
        note: `median of ${n}; floor = tmux paste + Enter (${ENTER_GAP_MS} ms gap) straight into the same Claude pane`,
      }),
      row("claude delivery, POST → model request, inbox path (median)", inbox, "ms", floor, {
        target: "≤ 500 ms",
        met: inbox <= 500,
        note: `median of ${n}; the runner CLI's default path; floor as above (the paste into the monitor run's pane)`,
      }),
      ...(await claudeBusyLatencyBench(n)),
    ];
  } finally {
    await child.terminate().catch(() => {});
    await reapClaudeLeftovers(agent);
    agent.remove();
    await fake.stop();
    await relay.kill();
  }
}

/** Relay POST → model request through a second runner on the default path (Claude's inbox), idle agent. */
async function inboxLatency(
  n: number,
  relay: { url: string; rootToken: string },
  fake: FakeAnthropicApi,
): Promise<number[]> {
  const agent = createClaudeAgentHome("bench-inbox");
  const token = await mintToken(relay.url, agent.agentId);
  const child = await startClaudeRunner({ relay, fake, agent, token, monitor: "on" });
  try {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = Date.now();
      const id = await post(relay.url, { to: agent.agentId, body: `inbox sample ${i}` });
      const seen = await until(
        () => fake.requestsContaining(`[relay message #${id} from bench]`)[0],
        20_000,
        "it",
      );
      if (!seen.lastUserText.includes("Another Claude session sent a message:"))
        throw new Error(`inbox sample ${i} was not delivered through the inbox`);
      out.push(seen.at - t0);
      await claudeIdleSince(agent, seen.at);
    }
    return out;
  } finally {
    await child.terminate().catch(() => {});
    await reapClaudeLeftovers(agent);
    agent.remove();
  }
}

/** The busy agent's turn: this many Bash calls of TOOL_SLEEP each, the message sent while the second one runs. */
const BUSY_TOOLS = 8;
const TOOL_SLEEP = "0.25";

/**
 * A busy Claude (adapter level, real CLI, fake model): a turn of BUSY_TOOLS short tool calls; at the second, a message
 * is handed to `deliver()`. Urgent (`midTurn`) → the next tool result's request; normal → the request of the turn after.
 * Floor: the same Claude, idle, taking a message through the inbox.
 */
async function claudeBusyLatencyBench(n: number): Promise<Row[]> {
  const rig = await startRig();
  rig.fake.script({ match: "BUSY-LOOP", reply: { kind: "bash", command: `sleep ${TOOL_SLEEP}` } });
  // A tool result's request (no user text): another call until the turn made BUSY_TOOLS of them.
  rig.fake.script({
    match: /^$/,
    reply: (req) => {
      const msgs = (req.body as { messages: unknown[] }).messages.map((m) => JSON.stringify(m));
      const since = msgs.slice(msgs.findLastIndex((m) => m.includes("BUSY-LOOP")));
      const calls = since.join().split('"type":"tool_result"').length - 1;
      return calls < BUSY_TOOLS
        ? { kind: "bash", command: `sleep ${TOOL_SLEEP}` }
        : { kind: "text", text: "loop done" };
    },
  });
  const a = await makeAgent(rig, { armMonitor: false });
  const hooks = (name: string) => hooksSeen(rig, a.providerSessionId, name).length;
  // Claude's own state file: idle once the turn's after-work (titles, transcript) is done, not only at Stop.
  const claudeIdle = async () => {
    try {
      const { status } = JSON.parse(readFileSync(join(a.configDir, "sessions", `${a.pid}.json`), "utf8"));
      return status === "idle" || status === "shell";
    } catch {
      return false; // not written yet, or mid-write
    }
  };
  const sample = async (body: string, midTurn: boolean, busy: boolean): Promise<number> => {
    await until(claudeIdle, 20_000, "Claude idle");
    const stops = hooks("Stop");
    if (busy) {
      const tools = hooks("PreToolUse");
      void a.adapter.deliver([relayMessage(`BUSY-LOOP ${body}`)], AbortSignal.timeout(30_000));
      await until(() => hooks("PreToolUse") >= tools + 2, 20_000, "the second tool call");
    }
    const item = { ...relayMessage(body), midTurn };
    const t0 = Date.now();
    const delivered = a.adapter.deliver([item], AbortSignal.timeout(60_000));
    const seen = await until(
      () => rig.fake.requestsContaining(`[relay message #${item.message.id} from`)[0],
      30_000,
      body,
    );
    await delivered;
    // Every turn this sample started is over: the busy one (if any) and the message's own (normal or idle).
    await until(() => hooks("Stop") >= stops + (busy ? (midTurn ? 1 : 2) : 1), 30_000, "the turns to end");
    return seen.at - t0;
  };
  try {
    await a.spawn();
    const floor: number[] = [];
    const urgent: number[] = [];
    const normal: number[] = [];
    for (let i = 0; i < n; i++) {
      floor.push(await sample(`idle ${i}`, false, false));
      urgent.push(await sample(`urgent ${i}`, true, true));
      normal.push(await sample(`normal ${i}`, false, true));
    }
    const [f, u, m] = [median(floor), median(urgent), median(normal)];
    say(
      `claude-latency: busy agent, message → model request: urgent median ${u} ms, normal ${m} ms; idle floor ${f} ms`,
    );
    const note = `median of ${n}; a turn of ${BUSY_TOOLS} Bash calls of ${TOOL_SLEEP} s, the message handed to deliver() as the 2nd runs; floor = the same Claude idle, inbox path`;
    return [
      row("claude busy agent, urgent message → model request, inbox (median)", u, "ms", f, { note }),
      row("claude busy agent, normal message → model request (median)", m, "ms", f, { note }),
    ];
  } finally {
    await a.dispose();
    await stopRig(rig);
  }
}

if (import.meta.main) {
  const rows = await claudeLatencyBench();
  say(`merged into ${mergeIntoResults(rows)}`);
  process.exit(0);
}
