// CommandRunner (with the runner's command actions) against the real test relay: accepted → running → succeeded/failed, targeting, de-duplication.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Command } from "../../src/protocol/index.ts";
import { RelayHttpClient } from "../../src/relay-client/index.ts";
import {
  commandHandlers,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  MAX_SHUTDOWN_TIMEOUT_MS,
  parseCommandParams,
  runnerActions,
  shutdownTimeout,
} from "../../src/runner/command-actions.ts";
import { type CommandHandlerFn, CommandRunner } from "../../src/runner/command-runner.ts";
import { ProviderSupervisor } from "../../src/runner/provider-supervisor.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { RecordingAdapter } from "../support/recording-adapter.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { captureLogger } from "../support/runner.ts";

let relay: TestRelay;
let root: RelayHttpClient;
let agent: RelayHttpClient;
const AGENT = "ch-agent";
const RUNNER = "ch-runner";

beforeAll(async () => {
  relay = await startTestRelay();
  root = new RelayHttpClient({ relayUrl: relay.url, token: relay.rootToken });
  agent = new RelayHttpClient({ relayUrl: relay.url, token: await relay.mintToken(AGENT) });
  // Commands go only to registered agents (an unknown target is a 404): both agents said hello once.
  for (const [agentId, componentId] of [
    [AGENT, RUNNER],
    ["someone-else", "someone-else-runner"],
  ] as const) {
    await (await relay.openBus({ agentId, componentId })).close();
  }
});
afterAll(async () => {
  await Promise.all([root.close(), agent.close()]);
  await relay.close();
});

function handlerWith(handlers: Record<string, CommandHandlerFn>) {
  const reported: { id: string; status: string }[] = [];
  const ended: { type: string; ok: boolean; error?: string }[] = [];
  const started: string[] = [];
  const { logger } = captureLogger();
  const handler = new CommandRunner({
    identity: () => ({ agentId: AGENT, runnerId: RUNNER }),
    // The real client, with each status it reports noted on the way through.
    relay: {
      setCommandStatus: (id, body, o) => {
        reported.push({ id, status: body.status });
        return agent.setCommandStatus(id, body, o);
      },
    },
    handlers,
    logger,
    onStart: (c) => started.push(c.type),
    onEnd: (c, outcome) => ended.push({ type: c.type, ...outcome }),
  });
  return { handler, reported, ended, started };
}

const create = (type: string, target = AGENT, params: Record<string, unknown> = {}) =>
  root.createCommand({ target, type, params });

describe("CommandRunner", () => {
  test("a command goes accepted → running → succeeded with its handler's result", async () => {
    let statusWhileRunning: string | undefined;
    const h = handlerWith({
      "agent.reconnect": async (c) => {
        statusWhileRunning = (await root.getCommand(c.id)).status;
        return { reconnected: true };
      },
    });
    const cmd = await create("agent.reconnect");
    expect(h.handler.handle(cmd)).toBe(true);
    await h.handler.drain();
    expect(h.reported.map((r) => r.status)).toEqual(["accepted", "running", "succeeded"]);
    expect(statusWhileRunning).toBe("running");
    const final = await root.getCommand(cmd.id);
    expect(final).toMatchObject({ status: "succeeded", result: { reconnected: true } });
    expect(h.started).toEqual(["agent.reconnect"]);
    expect(h.ended).toEqual([{ type: "agent.reconnect", ok: true }]);
  });

  test("an unknown command type is accepted, then failed with a reason naming the type", async () => {
    const h = handlerWith({});
    const cmd = await create("agent.dance");
    h.handler.handle(cmd);
    await h.handler.drain();
    expect(h.reported.map((r) => r.status)).toEqual(["accepted", "failed"]);
    const final = await root.getCommand(cmd.id);
    expect(final.status).toBe("failed");
    expect(final.error).toBe('unsupported command type "agent.dance"');
    expect(h.ended).toEqual([{ type: "agent.dance", ok: false, error: final.error }]);
  });

  test("a handler that throws fails the command with its error message", async () => {
    const h = handlerWith({
      "agent.compact": async () => {
        throw new Error("context too small to compact");
      },
    });
    const cmd = await create("agent.compact");
    h.handler.handle(cmd);
    await h.handler.drain();
    const final = await root.getCommand(cmd.id);
    expect(final).toMatchObject({ status: "failed", error: "context too small to compact" });
    expect(h.reported.map((r) => r.status)).toEqual(["accepted", "running", "failed"]);
  });

  test("commands for another target, already seen, or no longer pending are ignored; the runner id is a target", async () => {
    let runs = 0;
    const h = handlerWith({
      "agent.reconnect": async () => {
        runs++;
        return {};
      },
    });
    const other = await create("agent.reconnect", "someone-else");
    expect(h.handler.handle(other)).toBe(false);
    const byRunner = await create("agent.reconnect", RUNNER);
    expect(h.handler.handle(byRunner)).toBe(true);
    // The relay re-sends pending commands on every reconnect: the same id again is not run again.
    expect(h.handler.handle(byRunner)).toBe(false);
    const done: Command = { ...(await create("agent.reconnect")), status: "succeeded" };
    expect(h.handler.handle(done)).toBe(false);
    await h.handler.drain();
    expect(runs).toBe(1);
    expect((await root.getCommand(other.id)).status, "someone else's command untouched").toBe("pending");
  });

  test("agent.compact and agent.clearContext fail with a clear reason when the provider cannot do them", async () => {
    const adapter = new RecordingAdapter();
    const clock = new ManualClock();
    const { logger } = captureLogger();
    const supervisor = new ProviderSupervisor({
      adapter,
      cwd: "/",
      clock,
      logger,
      envFor: () => ({}),
      restartOnExit: true,
      decideOnExit: () => ({ action: "restart", delayMs: 500 }),
      onEvent: () => {},
      onFinalExit: () => {},
    });
    const h = handlerWith(
      commandHandlers(
        runnerActions({
          adapter,
          supervisor,
          publish: () => {},
          reconnectTransport: () => {},
          clearProviderWork: () => {},
          quiesce: async () => {},
          release: () => {},
          resolvePermission: async () => false,
          deliverNote: async () => {},
        }),
      ),
    );
    const compact = await create("agent.compact");
    const clear = await create("agent.clearContext");
    const decision = await create("agent.permissionDecision", AGENT, {
      approvalId: "nope",
      decision: "approve",
    });
    const badParams = await create("agent.shutdown", AGENT, { timeoutMs: "soon" });
    for (const c of [compact, clear, decision, badParams]) h.handler.handle(c);
    await h.handler.drain();
    expect((await root.getCommand(compact.id)).error).toBe("the command provider cannot compact its context");
    expect((await root.getCommand(clear.id)).error).toBe("the command provider cannot clear its context");
    expect((await root.getCommand(decision.id)).error).toBe('no pending permission request with id "nope"');
    expect((await root.getCommand(badParams.id)).error).toContain("agent.shutdown: invalid params");
    expect(adapter.shutdowns, "bad params stopped nothing").toEqual([]);
  });

  test("the shutdown timeout defaults to 10 s and is capped at 60 s", () => {
    const timeout = (params: unknown) => shutdownTimeout(parseCommandParams("agent.shutdown", params));
    expect(timeout({})).toBe(DEFAULT_SHUTDOWN_TIMEOUT_MS);
    expect(DEFAULT_SHUTDOWN_TIMEOUT_MS).toBe(10_000);
    expect(timeout({ timeoutMs: 2_500 })).toBe(2_500);
    expect(timeout({ timeoutMs: 3_600_000 })).toBe(MAX_SHUTDOWN_TIMEOUT_MS);
    expect(MAX_SHUTDOWN_TIMEOUT_MS).toBe(60_000);
    expect(() => timeout({ timeoutMs: -1 })).toThrow(/invalid params/);
  });
});
