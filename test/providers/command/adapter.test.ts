import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Message } from "../../../src/protocol/index.ts";
import type { DeliveryItem, ProviderEvent, SpawnContext } from "../../../src/providers/adapter.ts";
import {
  CommandAdapter,
  type CommandAdapterInput,
  formatDelivery,
} from "../../../src/providers/command/index.ts";
import { isRunnerError } from "../../../src/util/errors.ts";
import { echoAgentCommand, readEchoRecord, receivedInputs } from "../../fixtures/echo-agent-record.ts";
import { createTmuxSandbox, isAlive, type TmuxSandbox } from "../../support/tmux-sandbox.ts";
import { waitFor } from "../../support/wait-for.ts";

let box: TmuxSandbox;
let adapter: CommandAdapter | undefined;
let events: ProviderEvent[];
let record: string;

beforeEach(() => {
  box = createTmuxSandbox("cmd");
  record = join(box.dir, "record.jsonl");
  events = [];
  adapter = undefined;
});
afterEach(async () => {
  await adapter?.shutdown({ graceful: false, timeoutMs: 1_000 });
  await box.cleanup();
});

function makeAdapter(
  over: Partial<CommandAdapterInput> = {},
  agentEnv: Record<string, string> = {},
): CommandAdapter {
  adapter = new CommandAdapter({
    command: echoAgentCommand(),
    tmuxSocket: box.socket,
    tmuxSession: "agent",
    env: { ECHO_AGENT_RECORD: record, ECHO_AGENT_WORK_MS: "300", ...agentEnv },
    readyPattern: /ready> $/,
    quietMs: 300,
    spawnDeadlineMs: 10_000,
    enterDelayMs: 100,
    activePollMs: 50,
    idlePollMs: 100,
    ...over,
  });
  adapter.onEvent((e) => events.push(e));
  return adapter;
}

function spawnContext(over: Partial<SpawnContext> = {}): SpawnContext {
  return {
    providerSessionId: "ps-1",
    env: {},
    cwd: box.dir,
    resume: false,
    signal: new AbortController().signal,
    ...over,
  };
}

function item(id: number, body: string, subject?: string): DeliveryItem {
  const message: Message = {
    id,
    from: "alice",
    to: "agent",
    kind: "chat",
    subject,
    body,
    payload: {},
    claimable: false,
    readBy: [],
    reactions: [],
    attachments: [],
    createdAt: 0,
  };
  return { message, attachmentPaths: [] };
}

const never = new AbortController().signal;
const types = () => events.map((e) => e.type);
const startEvent = () => readEchoRecord(record).find((e) => e.event === "start");
const asTyped = (text: string) => text.replaceAll("\n", "\r");

describe("CommandAdapter", () => {
  test("spawn resolves once the ready pattern shows, in the cwd, with the runner's env winning", async () => {
    const a = makeAdapter({ env: { ECHO_AGENT_RECORD: record, SHARED: "user", ONLY_USER: "u" } }, {});
    const ctx = spawnContext({ env: { SHARED: "runner", ECHO_AGENT_SHOW_ENV: "SHARED,ONLY_USER" } });
    const result = await a.spawn(ctx);
    expect(a.state).toBe("running");
    const start = startEvent();
    expect(start).toEqual({
      event: "start",
      pid: result.pid!,
      cwd: box.dir,
      env: { SHARED: "runner", ONLY_USER: "u" },
    });
    expect(await box.tmux.capturePane("agent:")).toMatch(/ready> $/m);
  });

  test("without a ready pattern, spawn resolves only after the screen has been quiet", async () => {
    const a = makeAdapter({ readyPattern: undefined, quietMs: 600 }, { ECHO_AGENT_START_DELAY_MS: "300" });
    await a.spawn(spawnContext());
    // The prompt comes 300 ms after the first output; a gate that did not wait for quiet would beat it.
    expect(await box.tmux.capturePane("agent:")).toMatch(/ready> $/m);
  });

  test("a delivery arrives as one bracketed input, then turn.started and turn.completed follow", async () => {
    const a = makeAdapter();
    await a.spawn(spawnContext());
    const items = [item(41, "line one\nline two", "hello")];
    expect(await a.deliver(items, never)).toEqual({ state: "written" });
    await waitFor(() => types().includes("turn.completed"), { what: "turn.completed" });
    expect(events).toEqual([
      { type: "turn.started", providerSessionId: "ps-1" },
      { type: "turn.completed", providerSessionId: "ps-1" },
    ]);
    const [input] = receivedInputs(record);
    expect(input!.pasted).toBe(asTyped("[relay message #41 from alice] hello\nline one\nline two"));
    expect(input!.typed).toBe("");
    expect(input!.pastes).toBe(1);
  });

  test("concurrent deliveries are serialised: each arrives whole, in order, as its own input", async () => {
    const a = makeAdapter({}, { ECHO_AGENT_WORK_MS: "0" });
    await a.spawn(spawnContext());
    const batches = [1, 2, 3].map((n) => [item(n, `${String(n).repeat(20_000)}\nend ${n}`)]);
    await Promise.all(batches.map((b) => a.deliver(b, never)));
    const inputs = await waitFor(() => receivedInputs(record).length === 3 && receivedInputs(record), {
      what: "three inputs",
    });
    expect(inputs.map((i) => i.pasted)).toEqual(batches.map((b) => asTyped(formatDelivery(b))));
    expect(inputs.every((i) => i.pastes === 1 && i.typed === "")).toBe(true);
  });

  test("a hostile message is delivered as inert text and runs nothing", async () => {
    const pwned = join(box.dir, "pwned");
    const a = makeAdapter({}, { ECHO_AGENT_RUN_TYPED: "1" });
    await a.spawn(spawnContext());
    await a.deliver([item(9, `x\x1b[201~touch ${pwned}\r\x00\x1b]0;t\x07`, "\x1b[2Jsubject")], never);
    await waitFor(() => types().includes("turn.completed"), { what: "the turn to complete" });
    const [input] = receivedInputs(record);
    expect(input!.typed).toBe("");
    expect(input!.pasted).toBe(asTyped(`[relay message #9 from alice] subject\nxtouch ${pwned}\n␀`));
    expect(existsSync(pwned)).toBe(false);
  });

  test("spawn fails with PROVIDER_NOT_READY when the pattern never appears, leaving nothing running", async () => {
    const a = makeAdapter({ readyPattern: /never shown/, spawnDeadlineMs: 800 });
    const error = await a.spawn(spawnContext()).catch((e: unknown) => e);
    expect(isRunnerError(error, "PROVIDER_NOT_READY")).toBe(true);
    expect((error as Error).message).toContain("ready> ");
    expect(a.state).toBe("stopped");
    expect(await box.tmux.isServerRunning()).toBe(false);
    expect(isAlive(startEvent()!.pid)).toBe(false);
  });

  test("a program that ends at once during start-up fails the spawn with its exit code", async () => {
    const a = makeAdapter({ command: ["sh", "-c", "echo boom; exit 4"], readyPattern: /never shown/ });
    const error = await a.spawn(spawnContext()).catch((e: unknown) => e);
    expect(isRunnerError(error, "PROVIDER_SPAWN_FAILED")).toBe(true);
    // Not the screen: tmux 3.3a itself drops the output of a program that exits the instant it wrote it (4 of 80
    // plain tmux runs under load lost "boom" for good), so only the exit code is certain here.
    expect((error as Error).message).toMatch(/^sh ended during start-up \(exit code 4\); screen:\n/);
    expect(a.state).toBe("stopped");
    expect(await box.tmux.isServerRunning()).toBe(false);
  });

  test("a program that ends during start-up after its output was shown fails the spawn with that screen", async () => {
    // It exits only once tmux shows its line (TMUX and TMUX_PANE are set in every pane), so the line is there.
    const shown =
      'echo boom; until tmux capture-pane -p -t "$TMUX_PANE" | grep -q boom; do sleep 0.01; done; exit 4';
    const a = makeAdapter({ command: ["sh", "-c", shown], readyPattern: /never shown/ });
    const error = await a.spawn(spawnContext()).catch((e: unknown) => e);
    expect(isRunnerError(error, "PROVIDER_SPAWN_FAILED")).toBe(true);
    // tmux scrolls the line into history to print "Pane is dead": the message has it all the same.
    expect((error as Error).message).toMatch(/ended during start-up \(exit code 4\); screen:\nboom(\n|$)/);
    expect(a.state).toBe("stopped");
    expect(await box.tmux.isServerRunning()).toBe(false);
  });

  test("a program that ends is reported as session.ended, then its handle's exited resolves with its exit code", async () => {
    const a = makeAdapter();
    const { exited } = await a.spawn(spawnContext());
    await a.deliver([item(1, "bye")], never);
    await a.deliverInitialPrompt("/exit 3", never);
    expect(await exited).toEqual({ exitCode: 3, signal: null });
    expect(events.filter((e) => e.type === "session.ended")).toEqual([
      { type: "session.ended", reason: "program ended (exit code 3)", providerSessionId: "ps-1" },
    ]);
    // The handle resolves only once nothing of the spawn is left.
    expect(a.state).toBe("stopped");
    expect(await box.tmux.isServerRunning()).toBe(false);
  });

  test("after its program ended the adapter spawns again with the new session id", async () => {
    const a = makeAdapter(
      {},
      { ECHO_AGENT_EXIT_AFTER: "1", ECHO_AGENT_EXIT_CODE: "5", ECHO_AGENT_WORK_MS: "0" },
    );
    const first = await a.spawn(spawnContext());
    await a.deliver([item(1, "first")], never);
    expect(await first.exited).toEqual({ exitCode: 5, signal: null });
    const second = await a.spawn(spawnContext({ providerSessionId: "ps-2", resume: true }));
    await a.deliver([item(2, "second")], never);
    expect(await second.exited).toEqual({ exitCode: 5, signal: null });
    expect(events.filter((e) => e.type === "session.ended").map((e) => e.providerSessionId)).toEqual([
      "ps-1",
      "ps-2",
    ]);
    expect(receivedInputs(record).map((i) => i.pasted)).toEqual([
      "[relay message #1 from alice]\rfirst",
      "[relay message #2 from alice]\rsecond",
    ]);
    expect(readEchoRecord(record).filter((e) => e.event === "start")).toHaveLength(2);
  });

  test("graceful shutdown ends the program with Ctrl-C and leaves no process and no server", async () => {
    const a = makeAdapter();
    const { pid, exited } = await a.spawn(spawnContext());
    await a.shutdown({ graceful: true, timeoutMs: 5_000 });
    expect(readEchoRecord(record).at(-1)).toEqual({ event: "exit", code: 130 });
    expect(isAlive(pid!)).toBe(false);
    expect(await box.tmux.isServerRunning()).toBe(false);
    expect(events.map((e) => e.type)).toEqual(["session.ended"]);
    // shutdown() resolved only after the handle did.
    expect(await Promise.race([exited, "pending"])).toEqual({ exitCode: 130, signal: null });
    expect(a.state).toBe("stopped");
  });

  test("a shell that ignores Ctrl-C at its prompt is ended by Ctrl-D, not left waiting for half the timeout", async () => {
    const a = makeAdapter(
      { command: ["bash", "--norc", "--noprofile"], readyPattern: /shell> $/ },
      { PS1: "shell> " },
    );
    const { exited } = await a.spawn(spawnContext());
    // A 60 s budget: waiting half of it after Ctrl-C would run past this test's 20 s limit.
    await a.shutdown({ graceful: true, timeoutMs: 60_000 });
    // Ended by EOF with the status of its last line (the Ctrl-C'd one), not hung up by the kill after the timeout.
    expect(await exited).toEqual({ exitCode: 130, signal: null });
  }, 20_000);

  test("a program that ignores Ctrl-C and Ctrl-D is killed when the graceful timeout runs out", async () => {
    const a = makeAdapter({}, { ECHO_AGENT_IGNORE_INTERRUPT: "1" });
    const { pid, exited } = await a.spawn(spawnContext());
    await a.shutdown({ graceful: true, timeoutMs: 600 });
    expect(isAlive(pid!)).toBe(false);
    expect(await box.tmux.isServerRunning()).toBe(false);
    expect(await exited).toEqual({ exitCode: null, signal: "SIGHUP" });
  });

  test("hard shutdown kills at once; a second shutdown is a no-op", async () => {
    const a = makeAdapter();
    const { pid } = await a.spawn(spawnContext());
    await a.shutdown({ graceful: false, timeoutMs: 5_000 });
    await a.shutdown({ graceful: false, timeoutMs: 5_000 });
    expect(isAlive(pid!)).toBe(false);
    expect(await box.tmux.isServerRunning()).toBe(false);
    expect(types()).toEqual(["session.ended"]);
  });

  test("a shutdown racing the program's own exit ends the spawn once, and both wait for its handle", async () => {
    const a = makeAdapter({}, { ECHO_AGENT_EXIT_AFTER: "1", ECHO_AGENT_WORK_MS: "0" });
    const { exited } = await a.spawn(spawnContext());
    await a.deliver([item(1, "last words")], never);
    await waitFor(() => a.state !== "running", { what: "the program to end on its own" });
    const resolved: string[] = [];
    void exited.then(() => resolved.push("exited"));
    await a.shutdown({ graceful: true, timeoutMs: 2_000 });
    resolved.push("shutdown");
    expect(resolved).toEqual(["exited", "shutdown"]);
    expect(types().filter((t) => t === "session.ended")).toHaveLength(1);
    expect(a.state).toBe("stopped");
  });

  test("shutdown during start-up aborts the spawn and leaves nothing running", async () => {
    const a = makeAdapter({ readyPattern: /never shown/ });
    const spawning = a.spawn(spawnContext()).catch((e: unknown) => e);
    await waitFor(() => startEvent(), { what: "the program to start" });
    await a.shutdown({ graceful: true, timeoutMs: 1_000 });
    expect(isRunnerError(await spawning, "ABORTED")).toBe(true);
    expect(a.state).toBe("stopped");
    expect(isAlive(startEvent()!.pid)).toBe(false);
    expect(await box.tmux.isServerRunning()).toBe(false);
  });

  test("injected context is pasted as one input marked as a system note", async () => {
    const a = makeAdapter({}, { ECHO_AGENT_WORK_MS: "0" });
    await a.spawn(spawnContext());
    await a.injectContext("standing orders\nrun the tests", never);
    const [input] = await waitFor(() => receivedInputs(record).length === 1 && receivedInputs(record));
    expect(input!.pasted).toBe(asTyped("[relay system note]\nstanding orders\nrun the tests"));
  });

  test("an aborted delivery is refused before anything is pasted", async () => {
    const a = makeAdapter();
    await a.spawn(spawnContext());
    const error = await a.deliver([item(1, "x")], AbortSignal.abort()).catch((e: unknown) => e);
    expect(isRunnerError(error, "ABORTED")).toBe(true);
    expect(readEchoRecord(record).filter((e) => e.event === "bytes")).toEqual([]);
  });

  test("a stale session with the same name is replaced on spawn", async () => {
    const stale = await box.tmux.newSession({ name: "agent", cwd: box.dir, command: ["sleep", "60"] });
    const a = makeAdapter();
    const { pid } = await a.spawn(spawnContext());
    expect(pid).not.toBe(stale.pid);
    await waitFor(() => !isAlive(stale.pid), { what: "the stale program to end" });
    expect(await box.tmux.listSessions()).toEqual(["agent"]);
  });

  test("a program that ignores hang-up and terminate signals is still gone after a hard shutdown", async () => {
    const a = makeAdapter({
      command: ["sh", "-c", "trap '' HUP TERM INT; printf 'ready> '; exec sleep 60"],
      readyPattern: /ready> $/,
    });
    const { pid } = await a.spawn(spawnContext());
    await a.shutdown({ graceful: false, timeoutMs: 1_000 });
    expect(isAlive(pid!)).toBe(false);
    expect(await box.tmux.isServerRunning()).toBe(false);
  });

  test("delivering while nothing runs fails with DELIVERY_FAILED", async () => {
    const a = makeAdapter();
    const error = await a.deliver([item(1, "x")], never).catch((e: unknown) => e);
    expect(isRunnerError(error, "DELIVERY_FAILED")).toBe(true);
  });

  test("the attach spec and runtime meta name the private socket and the session", () => {
    const a = makeAdapter();
    expect(a.terminalAttachSpec()).toMatchObject({
      command: ["tmux", "-L", box.socket, "attach", "-t", "agent"],
      tmux: { socket: box.socket, session: "agent" },
    });
    expect(a.runtimeMeta()).toEqual({ tmuxSession: "agent", tmuxSocket: box.socket });
    expect(a.name).toBe("command");
    expect(a.supportsUnexpectedExitRestart).toBe(true);
    expect(a.defaultTags).toEqual([]);
  });
});
