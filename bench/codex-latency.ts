// Bench 10: Codex delivery latency, relay POST → the fake model's request carrying the message (median of 20), through
// the runner CLI: an idle agent, and a busy one (a turn of short tool calls) with an urgent and a normal message.
// Floors: the same Codex build driven directly over its app-server in this process (turn/start idle, turn/steer busy).
// Runs inside `bun bench/run.ts`, or alone with `bun bench/codex-latency.ts` (merges its rows into latest.json).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CodexSession } from "../src/providers/codex/session.ts";
import { silentLogger } from "../src/util/logger.ts";
import { createCodexAgentHome, reapCodexLeftovers, startCodexRunner } from "../test/support/codex-runner.ts";
import { DIRECT_MODEL, startDirectAppServer } from "../test/support/direct-codex.ts";
import {
  type FakeResponsesApi,
  shell,
  startFakeResponsesApi,
  text,
} from "../test/support/fake-responses-api.ts";
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

/** A busy turn: this many tool calls of TOOL_SECONDS each, then an answer; messages go in during the second call. */
const TOOL_CALLS = 8;
const TOOL_SECONDS = 0.25;

/** Script a busy turn for `tag` and answer when the model is inside its second tool call. */
function busyTurn(fake: FakeResponsesApi, tag: string): () => Promise<unknown> {
  fake.script(tag, [
    ...Array.from({ length: TOOL_CALLS }, () => shell(`sleep ${TOOL_SECONDS}`)),
    text("done"),
  ]);
  return () => until(() => fake.requestsFor(tag).length >= 2, 20_000, `${tag} to be in its second tool call`);
}

/** When the model first saw `needle` (any request whose input carries it). */
const firstSeen = (fake: FakeResponsesApi, needle: string) =>
  until(
    () => fake.requests.find((r) => JSON.stringify(r.body.input ?? []).includes(needle))?.at,
    30_000,
    `a model request with ${needle}`,
  );

/** The same Codex, no runner or relay: a session over its app-server, and a way to wait for its turns to end. */
async function directCodex(fake: FakeResponsesApi, dir: string) {
  const server = await startDirectAppServer(fake, dir);
  const settings = { cwd: server.work, model: DIRECT_MODEL, developerInstructions: "bench" };
  const session = new CodexSession(server.rpc, settings, () => {}, silentLogger());
  await session.openThread();
  const idle = () => until(() => !session.isBusy, 30_000, "the direct Codex turn to end");
  const stop = async () => {
    session.close("bench over");
    await server.stop();
  };
  return { session, idle, stop };
}

export async function codexLatencyBench(): Promise<Row[]> {
  const n = QUICK ? 3 : 20;
  const signal = () => AbortSignal.timeout(30_000);
  const relay = await startRelayChild();
  const fake = await startFakeResponsesApi();
  const dir = mkdtempSync(join(tmpdir(), "bench-codex-"));
  const agent = createCodexAgentHome("bench-codex");
  const child = await startCodexRunner({
    relay,
    fake,
    agent,
    token: await mintToken(relay.url, agent.agentId),
  });
  const direct = await directCodex(fake, dir);
  const status = async () =>
    (
      (await (
        await fetch(`${relay.url}/v1/agents/${agent.agentId}`, {
          headers: { authorization: `Bearer ${relay.rootToken}` },
        })
      ).json()) as { semanticStatus?: string }
    ).semanticStatus;
  const agentIdle = () => until(async () => (await status()) === "idle", 30_000, "the agent to be idle");
  const samples = { idle: [] as number[], urgent: [] as number[], normal: [] as number[] };
  const floors = { idle: [] as number[], busy: [] as number[] };
  try {
    for (let i = 0; i < n; i++) {
      // Through the runner: idle, then a busy turn with an urgent message, then one with a normal message.
      await agentIdle();
      let t0 = Date.now();
      await post(relay.url, { to: agent.agentId, body: `IDLE-${i} hello` });
      samples.idle.push((await firstSeen(fake, `IDLE-${i}`)) - t0);
      for (const kind of ["urgent", "normal"] as const) {
        await agentIdle();
        const inSecondCall = busyTurn(fake, `BUSY-${kind}-${i}`);
        await post(relay.url, { to: agent.agentId, body: `BUSY-${kind}-${i} work` });
        await inSecondCall();
        t0 = Date.now();
        const body = `MSG-${kind}-${i} look at this`;
        await post(relay.url, { to: agent.agentId, body, ...(kind === "urgent" ? { urgent: true } : {}) });
        samples[kind].push((await firstSeen(fake, `MSG-${kind}-${i}`)) - t0);
      }

      // Floors: the same Codex over its app-server, no runner or relay.
      await direct.idle();
      t0 = Date.now();
      await direct.session.enqueueTurn(`FLOOR-IDLE-${i} hello`, [], signal());
      floors.idle.push((await firstSeen(fake, `FLOOR-IDLE-${i}`)) - t0);
      await direct.idle();
      const inSecondCall = busyTurn(fake, `FLOOR-BUSY-${i}`);
      await direct.session.enqueueTurn(`FLOOR-BUSY-${i} work`, [], signal());
      await inSecondCall();
      t0 = Date.now();
      await direct.session.steerOrEnqueue(`FLOOR-STEER-${i} look at this`, [], signal());
      floors.busy.push((await firstSeen(fake, `FLOOR-STEER-${i}`)) - t0);
    }
    await agentIdle();
    const m = {
      idle: median(samples.idle),
      urgent: median(samples.urgent),
      normal: median(samples.normal),
      floorIdle: median(floors.idle),
      floorBusy: median(floors.busy),
    };
    say(
      `codex-latency: ${n} each, POST → model request: idle ${m.idle} ms, busy urgent ${m.urgent} ms, busy normal ${m.normal} ms; direct floors: turn/start ${m.floorIdle} ms, turn/steer ${m.floorBusy} ms`,
    );
    const busy = `a turn of ${TOOL_CALLS} tool calls of ${TOOL_SECONDS * 1000} ms, message sent during the 2nd`;
    return [
      row("codex delivery, POST → model request, idle agent (median)", m.idle, "ms", m.floorIdle, {
        note: `median of ${n}; floor = turn/start straight to the same Codex build's app-server`,
      }),
      row("codex delivery, busy agent, urgent → same turn (median)", m.urgent, "ms", m.floorBusy, {
        note: `median of ${n}; ${busy}; floor = turn/steer straight to the app-server at the same point`,
      }),
      row("codex delivery, busy agent, normal → next turn (median)", m.normal, "ms", m.floorBusy, {
        note: `median of ${n}; ${busy}; it waits for the turn's end; floor as for urgent`,
      }),
    ];
  } finally {
    await direct.stop().catch(() => {});
    await child.terminate().catch(() => {});
    await reapCodexLeftovers(agent);
    agent.remove();
    rmSync(dir, { recursive: true, force: true });
    await fake.stop();
    await relay.kill();
  }
}

if (import.meta.main) {
  const rows = await codexLatencyBench();
  say(`merged into ${mergeIntoResults(rows)}`);
  process.exit(0);
}
