// The race of mid-turn delivery, forced with the real `codex app-server`: the turn has ended at the server while the
// session still believes it runs (its turn/completed held back), so Codex refuses the steer's expected turn id and
// the message must become the next turn — exactly once.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { AdapterEventBody } from "../../../src/providers/adapter.ts";
import type { CodexRpc, RpcNotification } from "../../../src/providers/codex/rpc.ts";
import { CodexSession } from "../../../src/providers/codex/session.ts";
import { silentLogger } from "../../../src/util/logger.ts";
import { DIRECT_MODEL, type DirectAppServer, startDirectAppServer } from "../../support/direct-codex.ts";
import { type FakeResponsesApi, startFakeResponsesApi } from "../../support/fake-responses-api.ts";
import { waitFor } from "../../support/wait-for.ts";
import { tempDir } from "./harness.ts";

setDefaultTimeout(30_000);

let fake: FakeResponsesApi;
let dir: { path: string; remove: () => Promise<void> };
let server: DirectAppServer;

beforeAll(async () => {
  fake = await startFakeResponsesApi();
  dir = await tempDir("codex-steer-race");
  server = await startDirectAppServer(fake, dir.path);
});

afterAll(async () => {
  await server?.stop();
  await fake?.stop();
  await dir?.remove();
});

/** The real connection, except that turn/completed notifications wait while `holding`, and steers are recorded. */
function interposed(real: CodexRpc) {
  const held: RpcNotification[] = [];
  const steers: { settled: boolean; error?: string }[] = [];
  let holding = false;
  let listener: ((n: RpcNotification) => void) | undefined;
  const rpc = {
    request: async (method: string, params: unknown, schema: never, options?: never) => {
      if (method !== "turn/steer") return real.request(method, params, schema, options);
      const steer: { settled: boolean; error?: string } = { settled: false };
      steers.push(steer);
      try {
        return await real.request(method, params, schema, options);
      } catch (e) {
        steer.error = (e as Error).message;
        throw e;
      } finally {
        steer.settled = true;
      }
    },
    respond: real.respond.bind(real),
    onNotification: (l: (n: RpcNotification) => void) => {
      listener = l;
      return real.onNotification((n) => {
        if (holding && n.method === "turn/completed") held.push(n);
        else l(n);
      });
    },
    setServerRequestHandler: real.setServerRequestHandler.bind(real),
  } as unknown as CodexRpc;
  const release = () => {
    holding = false;
    for (const n of held.splice(0)) listener?.(n);
  };
  const hold = () => {
    holding = true;
  };
  return { rpc, held, steers, hold, release };
}

describe("codex steer race", () => {
  test("a steer the server refuses because the turn just ended becomes the next turn, once, not mid-turn", async () => {
    const proxy = interposed(server.rpc);
    const events: AdapterEventBody[] = [];
    const settings = { cwd: server.work, model: DIRECT_MODEL, developerInstructions: "race test" };
    const session = new CodexSession(proxy.rpc, settings, (e) => events.push(e), silentLogger());
    await session.openThread();

    proxy.hold();
    await session.enqueueTurn(
      "[relay message #1 from alice]\nRACE-1 quick one",
      [1],
      AbortSignal.timeout(10_000),
    );
    // The turn is over at the server; the session has not heard yet and still counts it as running.
    await waitFor(() => proxy.held.length === 1, { what: "the held turn/completed" });
    expect(session.isBusy).toBe(true);
    const firstTurn = session.activeTurnId;

    const urgent = session.steerOrEnqueue(
      "[relay message #2 from alice]\nRACE-2 urgent",
      [2],
      AbortSignal.timeout(10_000),
    );
    await waitFor(() => proxy.steers[0]?.settled, { what: "the steer's answer" });
    expect(proxy.steers[0]?.error, "codex refused the expected turn id").toMatch(/no active turn/);
    expect(fake.requestsFor("RACE-2"), "nothing sent while the old turn still counts as running").toEqual([]);

    proxy.release();
    expect(await urgent).toBe("queued");
    await waitFor(() => events.some((e) => e.type === "turn.completed" && e.turnId !== firstTurn), {
      what: "the urgent message's own turn to end",
    });
    const started = events.filter((e) => e.type === "turn.started");
    expect(started).toHaveLength(2);
    expect(fake.requestsFor("RACE-2"), "one model request, in a turn of its own").toHaveLength(1);
    const confirmed = events.filter((e) => e.type === "delivery.confirmed" && e.messageId === 2);
    expect(confirmed).toEqual([{ type: "delivery.confirmed", messageId: 2 }]);
    expect(proxy.steers).toHaveLength(1);
    session.close("test over");
  });
});
