// Mid-turn delivery with the real `codex app-server`: a `midTurn` item steers the running turn (turn/steer), a
// normal one waits for the next turn. The fake model holds the turn open in a shell call until the test releases it.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { DeliveryItem, ProviderEvent } from "../../../src/providers/adapter.ts";
import {
  type FakeResponsesApi,
  holdingShell,
  type RecordedRequest,
  startFakeResponsesApi,
  text,
} from "../../support/fake-responses-api.ts";
import { waitFor } from "../../support/wait-for.ts";
import { FAKE_KEY_ENV, RecordingAdapter, relayMessage, tempDir } from "./harness.ts";

setDefaultTimeout(30_000);

const signal = () => AbortSignal.timeout(15_000);

let fake: FakeResponsesApi;
let dir: { path: string; remove: () => Promise<void> };
let work: string;
let agent: RecordingAdapter;

beforeAll(async () => {
  fake = await startFakeResponsesApi();
  dir = await tempDir("codex-steer");
  work = join(dir.path, "work");
  const userHome = join(dir.path, "user");
  await Bun.$`mkdir -p ${work} ${userHome}`;
  agent = new RecordingAdapter(
    {
      codexHome: join(dir.path, "home"),
      modelProvider: { baseUrl: fake.baseUrl, envKey: FAKE_KEY_ENV, maxRetries: 0 },
    },
    userHome,
  );
  await agent.spawn(work);
});

afterAll(async () => {
  await agent?.adapter.shutdown({ graceful: false, timeoutMs: 2_000 });
  await fake?.stop();
  await dir?.remove();
});

/** Waits on what the adapter already emitted, so an event that came before the call still counts. */
const emitted = <T extends "turn.completed" | "delivery.confirmed">(
  type: T,
  match: (e: Extract<ProviderEvent, { type: T }>) => boolean,
) =>
  waitFor(() => agent.ofType(type).find(match), { what: `a ${type} event` }) as Promise<
    Extract<ProviderEvent, { type: T }>
  >;

const urgent = (id: number, body: string): DeliveryItem => ({ ...relayMessage(id, body), midTurn: true });

/** Every request's input, as text: how many of them carry `needle` as a user message. */
function userMessagesWith(request: RecordedRequest | undefined, needle: string): number {
  return (request?.body.input ?? []).filter(
    (i) => i.type === "message" && i.role === "user" && JSON.stringify(i.content).includes(needle),
  ).length;
}

/**
 * Start a turn whose first model answer is a shell call that waits for `release` to exist: the turn stays open in
 * the tool until the test creates the file. Resolves with the turn's id once the shell runs.
 */
async function holdTurn(id: number, tag: string): Promise<{ turnId: string; release: () => Promise<void> }> {
  const releaseFile = join(work, `${tag}.release`);
  const ranFile = join(work, `${tag}.running`);
  fake.script(tag, [holdingShell({ running: ranFile, release: releaseFile }, tag), text(`${tag} finished`)]);
  const started = agent.next("turn.started");
  await agent.adapter.deliver([relayMessage(id, `${tag} long job`)], signal());
  const { turnId } = await started;
  await waitFor(() => Bun.file(ranFile).exists(), { what: `the ${tag} shell to run` });
  return { turnId: turnId as string, release: () => Bun.write(releaseFile, "go").then(() => undefined) };
}

describe("codex mid-turn delivery (turn/steer)", () => {
  test("an urgent message during a turn reaches the model in that turn's next request, once, confirmed mid-turn", async () => {
    const before = agent.ofType("turn.started").length;
    const held = await holdTurn(1001, "HOLD-1001");
    const confirmed = agent.next("delivery.confirmed", (e) => e.messageId === 1002);
    const completed = agent.next("turn.completed", (e) => e.turnId === held.turnId);
    // Steered: Codex took it while the turn still runs (deliver resolves before the release).
    await agent.adapter.deliver([urgent(1002, "URGENT-1002 stop and check the logs")], signal());
    expect(agent.adapter.isBusy).toBe(true);
    await held.release();
    expect(await confirmed).toMatchObject({ messageId: 1002, midTurn: true });
    await completed;
    expect(agent.ofType("turn.started").length - before, "no turn of its own").toBe(1);
    expect(agent.adapter.isBusy).toBe(false);
    // The request after the tool output carries the urgent text, in the same turn as HOLD (its history and output).
    const [steered, ...more] = fake.requestsFor("URGENT-1002");
    expect(more, "one model request answered it").toEqual([]);
    const input = JSON.stringify(steered?.body.input);
    expect(input).toContain("HOLD-1001 long job");
    expect(input).toContain("released HOLD-1001");
    expect(input).not.toContain("HOLD-1001 finished");
    expect(userMessagesWith(steered, "URGENT-1002"), "in the input once").toBe(1);
  });

  test("a normal message during a turn waits and arrives as the next turn, once", async () => {
    const before = agent.ofType("turn.started").length;
    const held = await holdTurn(1101, "HOLD-1101");
    let delivered = false;
    const normal = agent.adapter.deliver([relayMessage(1102, "NORMAL-1102 when you can")], signal());
    void normal.then(() => (delivered = true));
    const next = agent.next("turn.started", (e) => e.turnId !== held.turnId);
    await held.release();
    await agent.next("turn.completed", (e) => e.turnId === held.turnId);
    const { turnId } = await next;
    await normal;
    expect(delivered).toBe(true);
    await emitted("turn.completed", (e) => e.turnId === turnId);
    expect(agent.ofType("turn.started").length - before).toBe(2);
    const confirmation = agent.ofType("delivery.confirmed").find((e) => e.messageId === 1102);
    expect(confirmation?.midTurn).toBeUndefined();
    const [request, ...more] = fake.requestsFor("NORMAL-1102");
    expect(more).toEqual([]);
    // Its own turn: the held turn had finished before it (its final answer is history).
    expect(JSON.stringify(request?.body.input)).toContain("HOLD-1101 finished");
    expect(userMessagesWith(request, "NORMAL-1102")).toBe(1);
  });

  test("in one batch, the urgent item steers the turn and the normal one waits for the next", async () => {
    const held = await holdTurn(1201, "HOLD-1201");
    const batch = agent.adapter.deliver(
      [urgent(1202, "URGENT-1202 now"), relayMessage(1203, "NORMAL-1203 later")],
      signal(),
    );
    const steeredConfirmed = agent.next("delivery.confirmed", (e) => e.messageId === 1202);
    await held.release();
    expect((await steeredConfirmed).midTurn).toBe(true);
    await batch;
    await emitted("delivery.confirmed", (e) => e.messageId === 1203);
    await waitFor(() => !agent.adapter.isBusy, { what: "the next turn to end" });
    const [steered] = fake.requestsFor("URGENT-1202");
    expect(JSON.stringify(steered?.body.input)).toContain("released HOLD-1201");
    expect(JSON.stringify(steered?.body.input)).not.toContain("NORMAL-1203");
    // Its own turn, after the steered one ended (that turn's final answer, to the steered text, is history).
    const [normal] = fake.requestsFor("NORMAL-1203");
    expect(JSON.stringify(normal?.body.input)).toContain("URGENT-1202 now [fake]");
    for (const r of fake.requests) expect(userMessagesWith(r, "URGENT-1202")).toBeLessThanOrEqual(1);
  });

  test("an urgent message for an idle agent is a new turn at once, confirmed at the turn boundary", async () => {
    await waitFor(() => !agent.adapter.isBusy, { what: "an idle agent" });
    const started = agent.next("turn.started");
    const confirmed = agent.next("delivery.confirmed", (e) => e.messageId === 1301);
    await agent.adapter.deliver([urgent(1301, "URGENT-1301 idle")], signal());
    const { turnId } = await started;
    expect((await confirmed).midTurn).toBeUndefined();
    await emitted("turn.completed", (e) => e.turnId === turnId);
    expect(fake.requestsFor("URGENT-1301")).toHaveLength(1);
  });
});
