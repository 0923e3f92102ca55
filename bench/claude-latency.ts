// Bench 7: Claude delivery latency, relay POST → the fake model's request, through the runner CLI and the relay
// monitor (median of 20); floor: the same Claude turning a direct tmux paste + Enter into a request. Then the inbox:
// the runner CLI's default path for an idle agent, and a busy agent (adapter level: the runner marks urgency).
// Runs inside `bun bench/run.ts`, or alone with `bun bench/claude-latency.ts` (merges its rows into latest.json).

import { writeInbox } from "../src/providers/claude/inbox.ts";
import { pasteSanitized, runTmux } from "../src/providers/tmux/index.ts";
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
  type RelayChild,
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
    const inbox = await inboxBench(n, relay, fake);
    return [
      row("claude delivery, POST → model request, monitor path (median)", med, "ms", floor, {
        target: "≤ 500 ms",
        met: med <= 500,
        note: `median of ${n}; floor = tmux paste + Enter (${ENTER_GAP_MS} ms gap) straight into the same Claude pane`,
      }),
      ...inbox,
    ];
  } finally {
    await child.terminate().catch(() => {});
    await reapClaudeLeftovers(agent);
    agent.remove();
    await fake.stop();
    await relay.kill();
  }
}

/** A busy turn: this many Bash calls of TOOL_SLEEP s, then an answer; messages go in during the second call. */
const BUSY_TOOLS = 8;
const TOOL_SLEEP = "0.25";

/** Script busy turns: a text with `BUSY-LOOP <tag>` runs BUSY_TOOLS calls; `second(tag)` waits for the 2nd call. */
function scriptBusyTurns(fake: FakeAnthropicApi): (tag: string) => Promise<unknown> {
  const calls = new Map<string, number>();
  const call = (tag: string) => {
    calls.set(tag, (calls.get(tag) ?? 0) + 1);
    return { kind: "bash" as const, command: `sleep ${TOOL_SLEEP}` };
  };
  fake.script({
    match: /BUSY-LOOP (\S+)/,
    reply: (req) => call(/BUSY-LOOP (\S+)/.exec(req.lastUserText)?.[1] ?? ""),
  });
  // A tool result's request (no user text): the next call of the turn's tag, or its answer after BUSY_TOOLS calls.
  fake.script({
    match: /^$/,
    reply: (req) => {
      const tag = [...req.allText.matchAll(/BUSY-LOOP (\S+)/g)].at(-1)?.[1] ?? "";
      return (calls.get(tag) ?? 0) < BUSY_TOOLS ? call(tag) : { kind: "text", text: "loop done" };
    },
  });
  return (tag) => until(() => (calls.get(tag) ?? 0) >= 2, 20_000, `${tag} in its second tool call`);
}

/**
 * The runner CLI on its default path, Claude's inbox: relay POST → the model's request, idle, then busy (a turn of
 * BUSY_TOOLS calls, the message POSTed as the 2nd runs) with an urgent and a normal message. Floors: the same line
 * written straight into the same Claude's socket from here (no runner, no relay), idle and at the same point.
 */
async function inboxBench(n: number, relay: RelayChild, fake: FakeAnthropicApi): Promise<Row[]> {
  const agent = createClaudeAgentHome("bench-inbox");
  const token = await mintToken(relay.url, agent.agentId);
  const child = await startClaudeRunner({ relay, fake, agent, token, monitor: "on" });
  const second = scriptBusyTurns(fake);
  const seen = async (needle: string) =>
    (await until(() => fake.requestsContaining(needle)[0], 30_000, needle)) as RecordedRequest;
  try {
    const meta = await agentMeta(relay, agent.agentId);
    if (meta.deliveryPath !== "inbox")
      throw new Error(`the runner delivers by ${meta.deliveryPath}, not the inbox`);
    const direct = (content: string) =>
      writeInbox(meta.inboxSocket as string, {
        type: "user",
        message: { role: "user", content },
        priority: "next",
      });
    const postTo = async (body: string, urgent = false) =>
      `[relay message #${await post(relay.url, { to: agent.agentId, body, ...(urgent ? { urgent } : {}) })} from`;
    const writeTo = async (content: string) => {
      await direct(content);
      return content;
    };
    /** POST (or write) once the agent is idle, or busy in its 2nd call; the time to the model's request. */
    const sample = async (out: number[], send: () => Promise<string>, busyTag?: string) => {
      if (busyTag) {
        await postTo(`BUSY-LOOP ${busyTag}`);
        await second(busyTag);
      }
      const t0 = Date.now();
      const req = await seen(await send());
      out.push(req.at - t0);
      await claudeIdleSince(agent, req.at);
    };
    const idle: number[] = [];
    const idleFloor: number[] = [];
    const urgent: number[] = [];
    const normal: number[] = [];
    const busyFloor: number[] = [];
    for (let i = 0; i < n; i++) {
      await sample(idle, () => postTo(`idle sample ${i}`));
      await sample(idleFloor, () => writeTo(`FLOOR-idle-${i}`));
      await sample(urgent, () => postTo(`urgent sample ${i}`, true), `u${i}`);
      await sample(normal, () => postTo(`normal sample ${i}`), `n${i}`);
      await sample(busyFloor, () => writeTo(`FLOOR-busy-${i}`), `f${i}`);
    }
    const m = [idle, idleFloor, urgent, normal, busyFloor].map(median) as [
      number,
      number,
      number,
      number,
      number,
    ];
    say(
      `claude-latency: inbox path, POST → model request: idle ${m[0]} ms (direct socket ${m[1]} ms); busy: urgent ${m[2]} ms, normal ${m[3]} ms (direct socket, same point ${m[4]} ms)`,
    );
    const busyNote = `median of ${n}; a turn of ${BUSY_TOOLS} Bash calls of ${TOOL_SLEEP} s, POSTed as the 2nd runs; floor = the same line written straight into Claude's inbox socket at the same point`;
    return [
      row("claude delivery, POST → model request, inbox path (median)", m[0], "ms", m[1], {
        target: "≤ 500 ms",
        met: m[0] <= 500,
        note: `median of ${n}; the runner CLI's default path; floor = the same line written straight into Claude's inbox socket`,
      }),
      row("claude busy agent, urgent message → model request (median)", m[2], "ms", m[4], { note: busyNote }),
      row("claude busy agent, normal message → model request (median)", m[3], "ms", m[4], { note: busyNote }),
    ];
  } finally {
    await child.terminate().catch(() => {});
    await reapClaudeLeftovers(agent);
    agent.remove();
  }
}

async function agentMeta(relay: RelayChild, agentId: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${relay.url}/v1/agents/${agentId}`, {
    headers: { authorization: `Bearer ${relay.rootToken}` },
  });
  return res.status === 200 ? ((await res.json()) as { meta: Record<string, unknown> }).meta : {};
}

if (import.meta.main) {
  const rows = await claudeLatencyBench();
  say(`merged into ${mergeIntoResults(rows)}`);
  process.exit(0);
}
