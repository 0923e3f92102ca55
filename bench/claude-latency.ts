// Bench 7: Claude delivery latency, relay POST → the fake model's request, through the runner CLI and the relay
// monitor (median of 20); floor: the same Claude turning a direct tmux paste + Enter into a request.
// Runs inside `bun bench/run.ts`, or alone with `bun bench/claude-latency.ts` (merges its rows into latest.json).
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
  const child = await startClaudeRunner({ relay, fake, agent, token, monitor: "on" });
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
    return [
      row("claude delivery, POST → model request, monitor path (median)", med, "ms", floor, {
        target: "≤ 500 ms",
        met: med <= 500,
        note: `median of ${n}; floor = tmux paste + Enter (${ENTER_GAP_MS} ms gap) straight into the same Claude pane`,
      }),
    ];
  } finally {
    await child.terminate().catch(() => {});
    await reapClaudeLeftovers(agent);
    agent.remove();
    await fake.stop();
    await relay.kill();
  }
}

if (import.meta.main) {
  const rows = await claudeLatencyBench();
  say(`merged into ${mergeIntoResults(rows)}`);
  process.exit(0);
}
