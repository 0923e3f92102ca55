// The Codex adapter against the real `codex app-server` and the scripted fake Responses API (no runner).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { RELAY_INSTRUCTIONS } from "../../../src/providers/relay-instructions.ts";
import {
  type FakeResponsesApi,
  failed,
  http500,
  shell,
  startFakeResponsesApi,
  text,
} from "../../support/fake-responses-api.ts";
import { waitFor } from "../../support/wait-for.ts";
import { FAKE_KEY_ENV, processesWithCodexHome, RecordingAdapter, relayMessage, tempDir } from "./harness.ts";

// Real Codex on a shared 2-core machine: room for slow moments (bun's own default here is 5 s).
setDefaultTimeout(30_000);

const signal = () => AbortSignal.timeout(15_000);

let fake: FakeResponsesApi;
let dir: { path: string; remove: () => Promise<void> };
let home: string;
let work: string;
let userHome: string;
let agent: RecordingAdapter;
let firstThreadId: string;

beforeAll(async () => {
  fake = await startFakeResponsesApi();
  dir = await tempDir("codex-adapter");
  home = join(dir.path, "home");
  work = join(dir.path, "work");
  userHome = join(dir.path, "user");
  await Bun.$`mkdir -p ${work} ${userHome}`;
  agent = new RecordingAdapter(
    {
      codexHome: home,
      modelProvider: { baseUrl: fake.baseUrl, envKey: FAKE_KEY_ENV, maxRetries: 0 },
      systemPromptAppend: "APPENDED-OPERATOR-NOTE",
    },
    userHome,
  );
  const spawned = await agent.spawn(work);
  firstThreadId = spawned.nativeSessionId as string;
});

afterAll(async () => {
  await agent?.adapter.shutdown({ graceful: false, timeoutMs: 2_000 });
  await fake?.stop();
  await dir?.remove();
});

/** Deliver one message and wait until the turn it started has completed. */
async function deliverAndFinish(id: number, body: string) {
  const completed = agent.next("turn.completed");
  await agent.adapter.deliver([relayMessage(id, body)], signal());
  return completed;
}

describe("codex adapter with a live app-server", () => {
  test("spawn returns the thread id and the app-server pid", () => {
    expect(firstThreadId).toMatch(/^[0-9a-f-]{36}$/);
    expect(agent.adapter.pid).toBeGreaterThan(0);
  });

  test("a delivered message becomes a turn and the model sees the header, body and relay instructions", async () => {
    const started = agent.next("turn.started");
    const confirmed = agent.next("delivery.confirmed", (e) => e.messageId === 101);
    const item = relayMessage(101, "HELLO-101 please say hi", { subject: "greeting", from: "bob" });
    item.attachmentPaths = ["/tmp/attachments/notes.txt"];
    const completed = agent.next("turn.completed");
    const result = await agent.adapter.deliver([item], signal());
    expect(result.state).toBe("written");
    const turn = await started;
    expect((await completed).turnId).toBe(turn.turnId);
    await confirmed;
    const [request] = fake.requestsFor("HELLO-101");
    expect(request?.lastUserText).toBe(
      "[relay message #101 from bob]\nSubject: greeting\nHELLO-101 please say hi\nAttachments:\n- /tmp/attachments/notes.txt",
    );
    expect(request?.developerText).toContain(RELAY_INSTRUCTIONS.split("\n")[0] as string);
    expect(request?.developerText).toContain("APPENDED-OPERATOR-NOTE");
    // The relay skills are listed to the model with their whole descriptions (a bare `#` would start a YAML comment).
    expect(request?.developerText).toContain(
      '- reply: Reply to an agent-relay message. Use whenever a "[relay message #<id>',
    );
    for (const skill of ["guide", "read-message", "react"])
      expect(request?.developerText).toContain(`- ${skill}: `);
    expect(request?.headers.authorization).toBe("Bearer sk-fake");
    const usage = agent.ofType("context.usage").at(-1);
    expect(usage?.usedTokens).toBeGreaterThan(0);
    expect(agent.adapter.runtimeMeta().contextTokens).toBe(usage?.usedTokens);
    expect(agent.adapter.isBusy).toBe(false);
  });

  test("a message delivered during a busy turn waits and becomes its own turn after the first completes", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    fake.script("HOLD-201", [text("held answer 201", { gate })]);
    const firstStarted = agent.next("turn.started");
    await agent.adapter.deliver([relayMessage(201, "HOLD-201 first")], signal());
    const first = await firstStarted;
    await waitFor(() => fake.requestsFor("HOLD-201").length === 1, { what: "the held request" });

    let secondDelivered = false;
    const second = agent.adapter.deliver([relayMessage(202, "QUEUED-202 second")], signal()).then(() => {
      secondDelivered = true;
    });
    expect(agent.adapter.isBusy).toBe(true);
    expect(secondDelivered).toBe(false);
    expect(fake.requestsFor("QUEUED-202")).toHaveLength(0);

    const secondStarted = agent.next("turn.started", (e) => e.turnId !== first.turnId);
    const firstCompleted = agent.next("turn.completed", (e) => e.turnId === first.turnId);
    release();
    await firstCompleted;
    await second;
    const next = await secondStarted;
    await agent.next("turn.completed", (e) => e.turnId === next.turnId);
    // Not steered: the second request carries the first turn's finished answer in its history.
    const [queued] = fake.requestsFor("QUEUED-202");
    expect(JSON.stringify(queued?.body.input)).toContain("held answer 201");
  });

  test("the scripted model runs a shell command with the relay env and the turn completes", async () => {
    const out = join(work, "relay-version.txt");
    fake.script("RUN-301", [shell(`"$AGENT_RELAY_BIN" --version > ${out}`), text("ran it")]);
    await deliverAndFinish(301, "RUN-301 check the relay cli");
    expect((await Bun.file(out).text()).trim()).toMatch(/^\d+\.\d+\.\d+/);
    const requests = fake.requestsFor("RUN-301");
    expect(requests).toHaveLength(2);
    expect(requests[1]?.body.input?.at(-1)?.type).toBe("function_call_output");
  });

  test("shell commands never see the model provider key", async () => {
    const out = join(work, "env.txt");
    fake.script("ENV-302", [shell(`env > ${out}`)]);
    await deliverAndFinish(302, "ENV-302 dump env");
    const env = await Bun.file(out).text();
    expect(env).toContain("AGENT_RELAY_BIN=");
    expect(env).not.toContain(`${FAKE_KEY_ENV}=`);
  });

  test("an escalation surfaces as permission.requested with the command; approve runs it", async () => {
    const target = join(work, "approved.txt");
    fake.script("ESC-401", [shell(`touch ${target}`, { escalate: true })]);
    const requested = agent.next("permission.requested");
    const needsInput = agent.next("needs-input");
    const completed = agent.next("turn.completed");
    await agent.adapter.deliver([relayMessage(401, "ESC-401 touch a file outside")], signal());
    const { request } = await requested;
    await needsInput;
    expect(request.tool).toBe("exec_command");
    expect(request.detail).toContain(`touch ${target}`);
    const resolved = agent.next("permission.resolved", (e) => e.approvalId === request.approvalId);
    const inputResolved = agent.next("input.resolved");
    expect(await agent.adapter.respondToPermissionDecision(request.approvalId, "approve")).toBe(true);
    await resolved;
    await inputResolved;
    await completed;
    expect(existsSync(target)).toBe(true);
    // Settled approvals cannot be answered twice.
    expect(await agent.adapter.respondToPermissionDecision(request.approvalId, "deny")).toBe(false);
  });

  test("a denied escalation does not run and the model is told it was rejected", async () => {
    const target = join(work, "denied.txt");
    fake.script("ESC-402", [shell(`touch ${target}`, { escalate: true })]);
    const requested = agent.next("permission.requested");
    const completed = agent.next("turn.completed");
    await agent.adapter.deliver([relayMessage(402, "ESC-402 touch another file")], signal());
    const { request } = await requested;
    expect(await agent.adapter.respondToPermissionDecision(request.approvalId, "deny")).toBe(true);
    await completed;
    expect(existsSync(target)).toBe(false);
    const after = fake.requestsFor("ESC-402").at(-1);
    expect(JSON.stringify(after?.body.input?.at(-1))).toContain("rejected");
  });

  test("an HTTP 500 from the model ends the turn as turn.failed with a reason, and the next message still works", async () => {
    fake.script("FAIL-501", [http500("boom")]);
    const failedTurn = agent.next("turn.failed");
    await agent.adapter.deliver([relayMessage(501, "FAIL-501 please")], signal());
    expect((await failedTurn).reason.length).toBeGreaterThan(0);
    expect(agent.adapter.isBusy).toBe(false);
    await deliverAndFinish(502, "AFTER-502 still alive?");
    expect(fake.requestsFor("AFTER-502")).toHaveLength(1);
  });

  test("a response.failed stream ends the turn as turn.failed carrying the provider message", async () => {
    fake.script("FAIL-503", [failed("model melted 503")]);
    const failedTurn = agent.next("turn.failed");
    await agent.adapter.deliver([relayMessage(503, "FAIL-503 please")], signal());
    expect((await failedTurn).reason).toContain("model melted 503");
  });

  test("compact runs a compaction request and reports its start and end", async () => {
    const started = agent.next("compaction.started");
    const completed = agent.next("compaction.completed");
    await agent.adapter.compact?.(signal());
    await started;
    await completed;
    expect(fake.requests.some((r) => r.requestKind === "compaction")).toBe(true);
  });

  test("injected context becomes a turn marked as a system note", async () => {
    const completed = agent.next("turn.completed");
    await agent.adapter.injectContext?.("NOTE-601 the deploy window is Friday", signal());
    await completed;
    const [request] = fake.requestsFor("NOTE-601");
    expect(request?.lastUserText).toStartWith("[system note from the agent-relay runner");
  });

  test("clearContext starts a new thread whose model requests carry none of the old history", async () => {
    const before = agent.adapter.threadId;
    await agent.adapter.clearContext?.(signal());
    expect(agent.adapter.threadId).not.toBe(before);
    await deliverAndFinish(701, "FRESH-701 who am I");
    const [request] = fake.requestsFor("FRESH-701");
    expect(JSON.stringify(request?.body.input)).not.toContain("HELLO-101");
    expect(request?.headers["thread-id"] ?? request?.headers["session-id"]).toBe(agent.adapter.threadId);
  });
  test("clearContext during a running turn interrupts it, and a message queued behind it goes to the new thread", async () => {
    fake.script("HOLD-702", [text("never finished", { gate: new Promise(() => {}) })]);
    const started = agent.next("turn.started");
    await agent.adapter.deliver([relayMessage(702, "HOLD-702 long job")], signal());
    const running = await started;
    const oldThread = agent.adapter.threadId;
    const queued = agent.adapter.deliver([relayMessage(703, "QUEUED-703 after clear")], signal());
    const interrupted = agent.next("turn.completed", (e) => e.turnId === running.turnId);
    const queuedDone = agent.next("turn.completed", (e) => e.turnId !== running.turnId);
    await agent.adapter.clearContext?.(signal());
    await interrupted;
    await queued;
    await queuedDone;
    expect(agent.adapter.threadId).not.toBe(oldThread);
    const [request] = fake.requestsFor("QUEUED-703");
    expect(request?.headers["thread-id"] ?? request?.headers["session-id"]).toBe(agent.adapter.threadId);
    expect(JSON.stringify(request?.body.input)).not.toContain("HOLD-702");
  });
});

describe("codex adapter lifecycle", () => {
  test("a resume spawn in a new process resumes the same thread with its history", async () => {
    const threadId = agent.adapter.threadId as string;
    await agent.adapter.shutdown({ graceful: true, timeoutMs: 5_000 });
    expect(await processesWithCodexHome(home)).toEqual([]);

    const resumed = new RecordingAdapter(
      {
        codexHome: home,
        modelProvider: { baseUrl: fake.baseUrl, envKey: FAKE_KEY_ENV, maxRetries: 0 },
        resumeThreadId: threadId,
      },
      userHome,
    );
    agent = resumed;
    const spawned = await resumed.spawn(work, true);
    expect(spawned.nativeSessionId).toBe(threadId);
    await deliverAndFinish(801, "RESUMED-801 remember?");
    const [request] = fake.requestsFor("RESUMED-801");
    expect(JSON.stringify(request?.body.input)).toContain("QUEUED-703");
  });

  test("graceful shutdown during a turn interrupts it and leaves no codex process", async () => {
    fake.script("HOLD-901", [text("never finished", { gate: new Promise(() => {}) })]);
    const started = agent.next("turn.started");
    await agent.adapter.deliver([relayMessage(901, "HOLD-901 long job")], signal());
    const { turnId } = await started;
    const pid = agent.adapter.pid as number;
    await agent.adapter.shutdown({ graceful: true, timeoutMs: 5_000 });
    // The turn was interrupted (Codex reported its end) before the server went down.
    expect(agent.ofType("turn.completed").some((e) => e.turnId === turnId)).toBe(true);
    expect(await processesWithCodexHome(home)).toEqual([]);
    expect(() => process.kill(pid, 0)).toThrow();
    // shutdown() resolves only after the spawn's handle did: its exit is already there.
    const exit = await Promise.race([agent.handle!.exited, Promise.resolve("still running")]);
    expect(exit).not.toBe("still running");
    await expect(agent.adapter.deliver([relayMessage(902, "late")], signal())).rejects.toThrow(
      /codex is stopped/,
    );
  });

  test("shutdown during start-up aborts the spawn and leaves no codex process", async () => {
    const otherHome = join(dir.path, "home-aborted");
    const starting = new RecordingAdapter(
      { codexHome: otherHome, modelProvider: { baseUrl: fake.baseUrl, envKey: FAKE_KEY_ENV, maxRetries: 0 } },
      userHome,
    );
    const spawn = starting.adapter.spawn(starting.spawnContext(work));
    spawn.catch(() => {});
    await waitFor(async () => (await processesWithCodexHome(otherHome)).length > 0, {
      what: "the server to start",
    });
    await starting.adapter.shutdown({ graceful: true, timeoutMs: 5_000 });
    await expect(spawn).rejects.toMatchObject({ code: "ABORTED" });
    expect(await processesWithCodexHome(otherHome)).toEqual([]);
  });

  test("an app-server killed from outside resolves the spawn's exited, and a new spawn works again", async () => {
    const { exited } = await agent.spawn(work, true);
    process.kill(agent.adapter.pid as number, "SIGKILL");
    expect(await exited).toEqual({ exitCode: null, signal: "SIGKILL" });
    expect(agent.adapter.pid, "the adapter has let the dead server go").toBeUndefined();
    await waitFor(async () => (await processesWithCodexHome(home)).length === 0, {
      what: "codex processes to go",
    });
    expect(agent.adapter.supportsUnexpectedExitRestart).toBe(true);
    const again = await agent.adapter.spawn(agent.spawnContext(work, true));
    expect(again.nativeSessionId).toBe(agent.adapter.threadId);
    await deliverAndFinish(1001, "AGAIN-1001 hello");
    await agent.adapter.shutdown({ graceful: true, timeoutMs: 5_000 });
    expect(await processesWithCodexHome(home)).toEqual([]);
  });
});
