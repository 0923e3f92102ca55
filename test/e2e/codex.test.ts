// End to end: the real runner CLI (--provider codex) drives the real Codex CLI against the scripted fake model,
// connected to a real relay. Every agent gets its own HOME; after each test nothing of Codex may be left running.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runTmux } from "../../src/providers/tmux/index.ts";
import { readRunnerInfoFile } from "../../src/runner/info-file.ts";
import {
  type CodexAgentHome,
  type CodexRunnerChild,
  codexProcesses,
  controlServerOf,
  createCodexAgentHome,
  processesWithEnv,
  reapCodexLeftovers,
  startCodexRunner,
} from "../support/codex-runner.ts";
import {
  type FakeResponsesApi,
  http401,
  shell,
  startFakeResponsesApi,
  text,
} from "../support/fake-responses-api.ts";
import { receiptAt, receiptsUntilAnswered } from "../support/receipts.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { createTmuxSandbox, type TmuxSandbox } from "../support/tmux-sandbox.ts";
import { waitFor } from "../support/wait-for.ts";

setDefaultTimeout(60_000);

let relay: TestRelay;
let fake: FakeResponsesApi;
beforeAll(async () => {
  relay = await startTestRelay();
  fake = await startFakeResponsesApi();
});
afterAll(async () => {
  await fake?.stop();
  await relay?.close();
});

const agents: CodexAgentHome[] = [];
const children: CodexRunnerChild[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  // Whatever a test did (or where it failed), no runner, Codex process or tmux session outlives it.
  for (const c of children.splice(0)) await c.kill();
  for (const f of cleanups.splice(0)) await f().catch(() => {});
  for (const a of agents.splice(0)) {
    await reapCodexLeftovers(a);
    a.remove();
  }
});

async function newAgent(prefix = "codex-e2e"): Promise<CodexAgentHome> {
  const agent = createCodexAgentHome(prefix);
  agents.push(agent);
  return agent;
}

async function run(agent: CodexAgentHome): Promise<CodexRunnerChild> {
  const token = await relay.mintToken(agent.agentId);
  const child = await startCodexRunner({ relay, fake, agent, token });
  children.push(child);
  return child;
}

/** Graceful stop (SIGTERM): the runner exits 0 and nothing carrying the agent's CODEX_HOME keeps running. */
async function stopAndExpectNothingLeft(agent: CodexAgentHome, child: CodexRunnerChild): Promise<void> {
  // The checks below can see these processes: before the stop they find the runner and Codex.
  expect((await processesWithEnv("HOME", agent.home)).length).toBeGreaterThan(1);
  expect((await codexProcesses(agent)).length).toBeGreaterThan(0);
  expect(await child.terminate()).toBe(0);
  expect(await codexProcesses(agent)).toEqual([]);
  // Nor anything else started under the agent's HOME (a managed Codex daemon, its updater, a shell).
  expect(await processesWithEnv("HOME", agent.home)).toEqual([]);
}

interface SentMessage {
  id: number;
}

/** A message from "tester" (the root token speaking for it) to the agent. */
async function send(agent: CodexAgentHome, body: string, payload: Record<string, unknown> = {}) {
  const res = await relay.call(relay.rootToken, "POST", "/v1/messages", {
    to: agent.agentId,
    from: "tester",
    body,
    payload,
  });
  expect(res.status).toBe(200);
  return res.body as SentMessage;
}

// biome-ignore lint/suspicious/noExplicitAny: the relay's agent meta is free-form JSON.
async function agentMeta(agent: CodexAgentHome): Promise<Record<string, any>> {
  const res = await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}`);
  return res.status === 200 ? res.body.meta : {};
}

async function agentStatus(agent: CodexAgentHome): Promise<string | undefined> {
  const res = await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}`);
  return res.status === 200 ? res.body.semanticStatus : undefined;
}

/** Send a command over the relay and wait for it to finish; answers the final command. */
async function command(agent: CodexAgentHome, type: string, params: Record<string, unknown> = {}) {
  const created = await relay.call(relay.rootToken, "POST", "/v1/commands", {
    target: agent.agentId,
    type,
    params,
  });
  expect(created.status).toBe(200);
  return waitFor(
    async () => {
      const c = (await relay.call(relay.rootToken, "GET", `/v1/commands/${created.body.id}`)).body;
      return (c.status === "succeeded" || c.status === "failed") && c;
    },
    { timeoutMs: 30_000, what: `${type} to finish` },
  );
}

/** The model request carrying `needle` in its last user message, once it arrived. */
const modelSaw = (needle: string, timeoutMs = 20_000) =>
  waitFor(() => fake.requestsFor(needle)[0], { timeoutMs, what: `the model to see "${needle}"` });

/** Every input item of a request, as text (to look for earlier conversation in it). */
const inputText = (r: { body: { input?: unknown[] } }) => JSON.stringify(r.body.input ?? []);

/**
 * A whole turn for a message starting with `needle`: the model holds its answer until the relay shows the agent
 * busy, so the idle seen afterwards is the end of this turn and not the idle from before it.
 */
async function completeTurn(agent: CodexAgentHome, needle: string, rest: string): Promise<void> {
  let release = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  fake.script(needle, [text(`done: ${needle}`, { gate })]);
  try {
    await send(agent, `${needle} ${rest}`);
    await modelSaw(needle);
    await waitFor(async () => (await agentStatus(agent)) === "busy", { what: "the agent to be busy" });
  } finally {
    release();
  }
  await idle(agent);
}

const idle = (agent: CodexAgentHome) =>
  waitFor(async () => (await agentStatus(agent)) === "idle", {
    timeoutMs: 20_000,
    what: "the agent to be idle",
  });

describe("codex agent end to end (runner CLI, Codex CLI, relay, fake model)", () => {
  test("a relay message becomes a turn, and the reply skill's command puts a reply from the agent on the relay", async () => {
    fake.script("PLEASE-REPLY", (userText) => {
      const id = /\[relay message #(\d+) from /.exec(userText)?.[1] ?? "0";
      return [
        // Commands see the runner's control server (where the CLI gets the current token) but not the model key.
        shell(
          "printenv AGENT_RELAY_CONTROL_URL AGENT_RELAY_CONTROL_SECRET >/dev/null && echo CONTROL-ENV-OK; printenv OPENAI_API_KEY || echo NO-MODEL-KEY",
        ),
        shell(`"$AGENT_RELAY_BIN" msg reply ${id} 'pong from codex'`),
        text("replied over the relay"),
      ];
    });
    const agent = await newAgent();
    const child = await run(agent);

    // The sender's own bus session gets each receipt as it moves.
    const senderBus = await relay.openBus({ agentId: "tester" });
    const sent = await send(agent, "PLEASE-REPLY with pong");
    const request = await modelSaw("PLEASE-REPLY");
    expect(request.lastUserText).toContain(`[relay message #${sent.id} from tester]`);

    const reply = await waitFor(
      async () => {
        const unread = await relay.call(relay.rootToken, "GET", "/v1/agents/tester/unread");
        // biome-ignore lint/suspicious/noExplicitAny: loose read of the answer.
        return unread.body.messages.find((m: any) => m.replyTo === sent.id);
      },
      { timeoutMs: 20_000, what: "the agent's reply on the relay" },
    );
    expect(reply.from).toBe(agent.agentId);
    expect(reply.body).toBe("pong from codex");
    // Seen once Codex's app-server took the text into the turn, then answered by the reply.
    expect(await receiptsUntilAnswered(senderBus, sent.id)).toEqual(["seen", "answered"]);
    await senderBus.close();
    const afterEnvCheck = inputText(fake.requestsFor("PLEASE-REPLY")[1] as { body: { input?: unknown[] } });
    expect(afterEnvCheck).toContain("CONTROL-ENV-OK");
    expect(afterEnvCheck).toContain("NO-MODEL-KEY");
    expect(afterEnvCheck).not.toContain("test-key");
    // The reply command's output went back to the model, which then ended the turn.
    await waitFor(() => fake.requestsFor("PLEASE-REPLY").length >= 3, { what: "the last model request" });
    await idle(agent);
    await stopAndExpectNothingLeft(agent, child);
  });

  test("without credentials, Codex is reported needs-input (auth) and messages stay unread instead of a turn that retries for minutes", async () => {
    const agent = await newAgent("codex-e2e-noauth");
    const token = await relay.mintToken(agent.agentId);
    // Waiting before the start: the runner's start-up reads it, and would deliver it at once if it could.
    const before = await send(agent, "NOAUTH-CODEX sent before the start");
    const child = await startCodexRunner({ relay, fake, agent, token, env: { OPENAI_API_KEY: "" } });
    children.push(child);
    const record = await waitFor(
      async () => {
        const r = (await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}`)).body;
        return r.semanticStatus === "needs-input" && r;
      },
      { what: "needs-input on the relay" },
    );
    expect(record.meta.conditionReason).toMatch(/^auth: Codex has no credentials: OPENAI_API_KEY is not set/);
    const after = await send(agent, "NOAUTH-CODEX sent while up");
    await stopAndExpectNothingLeft(agent, child);
    const unread = (await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}/unread`)).body
      .messages as { id: number }[];
    expect(unread.map((x) => x.id)).toEqual([before.id, after.id]);
    expect(fake.requestsFor("NOAUTH-CODEX")).toEqual([]);
  });

  test("a 401 from the model holds further messages unread, with the auth reason on the relay", async () => {
    const agent = await newAgent("codex-e2e-401");
    const child = await run(agent);
    fake.script("FAIL-401-CODEX", [http401()]);
    const bad = await send(agent, "FAIL-401-CODEX refused key");
    await modelSaw("FAIL-401-CODEX");
    const record = await waitFor(
      async () => {
        const r = (await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}`)).body;
        return (
          typeof r.meta?.conditionReason === "string" && r.meta.conditionReason.startsWith("auth: ") && r
        );
      },
      { timeoutMs: 30_000, what: "the auth reason on the relay" },
    );
    expect(record.semanticStatus).toBe("error");
    const held = await send(agent, "HELD-CODEX while the key is refused");
    await stopAndExpectNothingLeft(agent, child);
    const unread = (await relay.call(relay.rootToken, "GET", `/v1/agents/${agent.agentId}/unread`)).body
      .messages as { id: number }[];
    expect(unread.map((x) => x.id)).toEqual([held.id]);
    expect(unread.map((x) => x.id)).not.toContain(bad.id);
    expect(fake.requestsFor("HELD-CODEX")).toEqual([]);
  });

  test("a message is seen only once the model answered the request that carried it, not when Codex took it in", async () => {
    // The model takes 2 s to answer: Codex records the user message (the delivery is confirmed) long before.
    fake.script("SLOW-ANSWER-CODEX", [text("took my time", { delayMs: 2_000 })]);
    const agent = await newAgent();
    const child = await run(agent);
    const senderBus = await relay.openBus({ agentId: "tester" });
    const sent = await send(agent, "SLOW-ANSWER-CODEX please");
    await modelSaw("SLOW-ANSWER-CODEX");
    const requestSeenBy = Date.now();
    const delivered = await receiptAt(senderBus, sent.id, "delivered");
    const seen = await receiptAt(senderBus, sent.id, "seen");
    expect(delivered).toBeLessThan(requestSeenBy);
    // Causality, with a 500 ms allowance for polling: seen follows the scripted 2 s answer, not the request.
    expect(seen - requestSeenBy).toBeGreaterThanOrEqual(1_500);
    await senderBus.close();
    await idle(agent);
    await stopAndExpectNothingLeft(agent, child);
  });

  test("a task-linked message ends with the task done", async () => {
    const agent = await newAgent();
    const child = await run(agent);
    const task = await relay.call(relay.rootToken, "POST", "/v1/tasks", { title: "say hello" });
    expect(task.status).toBe(200);
    await send(agent, "TASK-WORK say hello", { taskId: task.body.id });
    await modelSaw("TASK-WORK");
    const done = await waitFor(
      async () => {
        const t = (await relay.call(relay.rootToken, "GET", `/v1/tasks/${task.body.id}`)).body;
        return t.status === "done" && t;
      },
      { timeoutMs: 20_000, what: "the task to be done" },
    );
    // biome-ignore lint/suspicious/noExplicitAny: loose read of the answer.
    expect(done.history.some((h: any) => h.status === "done" && h.agentId === agent.agentId)).toBe(true);
    await stopAndExpectNothingLeft(agent, child);
  });

  test("an approval request shows on the relay with its command; approve runs it, deny does not", async () => {
    const agent = await newAgent();
    const child = await run(agent);
    // Outside the workspace, so it only happens if Codex runs the command (escalated) after the approval.
    const approvedMarker = join(agent.home, "approved-marker");
    const deniedMarker = join(agent.home, "denied-marker");
    fake.script("ESCALATE-APPROVE", [
      shell(`touch ${approvedMarker}`, { escalate: true }),
      text("approved one ran"),
    ]);
    fake.script("ESCALATE-DENY", [
      shell(`touch ${deniedMarker}`, { escalate: true }),
      text("denied one skipped"),
    ]);

    const decide = async (needle: string, marker: string, decision: "approve" | "deny") => {
      await send(agent, needle);
      const pending = await waitFor(
        async () => {
          const meta = await agentMeta(agent);
          // biome-ignore lint/suspicious/noExplicitAny: loose read of the meta.
          return (meta.pendingPermissions ?? []).find((p: any) => String(p.detail).includes(marker));
        },
        { timeoutMs: 20_000, what: `a pending permission for ${needle}` },
      );
      expect(pending.detail).toContain(`touch ${marker}`);
      expect(await agentStatus(agent)).toBe("needs-input");
      const answered = await command(agent, "agent.permissionDecision", {
        approvalId: pending.approvalId,
        decision,
      });
      expect(answered.status).toBe("succeeded");
      // The model gets the tool outcome in its next request; the turn then ends.
      await waitFor(() => fake.requestsFor(needle).length >= 2, {
        what: `the model to hear how ${needle} went`,
      });
      await idle(agent);
      const meta = await agentMeta(agent);
      expect(meta.pendingPermissions).toEqual([]);
    };

    await decide("ESCALATE-APPROVE", approvedMarker, "approve");
    expect(existsSync(approvedMarker)).toBe(true);
    await decide("ESCALATE-DENY", deniedMarker, "deny");
    expect(existsSync(deniedMarker)).toBe(false);
    await stopAndExpectNothingLeft(agent, child);
  });

  test("agent.compact compacts the thread and agent.clearContext moves the agent to a fresh thread", async () => {
    const agent = await newAgent();
    const child = await run(agent);
    await completeTurn(agent, "BEFORE-CLEAR", "the password is swordfish");
    const firstThread = (await agentMeta(agent)).codexThreadId as string;
    expect(firstThread).toBeTruthy();

    const compactions = () => fake.requests.filter((r) => r.requestKind === "compaction").length;
    const before = compactions();
    expect((await command(agent, "agent.compact")).status).toBe("succeeded");
    expect(compactions()).toBeGreaterThan(before);

    expect((await command(agent, "agent.clearContext")).status).toBe("succeeded");
    const secondThread = await waitFor(
      async () => {
        const id = (await agentMeta(agent)).codexThreadId;
        return id && id !== firstThread && id;
      },
      { what: "a new thread id in the agent's meta" },
    );
    await waitFor(() => agent.savedThreadId() === secondThread, {
      what: "the new thread saved for resuming",
    });
    await send(agent, "AFTER-CLEAR what was the password?");
    const after = await modelSaw("AFTER-CLEAR");
    expect(inputText(after)).not.toContain("swordfish");
    await stopAndExpectNothingLeft(agent, child);
  });

  test("a killed runner takes Codex with it; the restarted runner reaps leftovers and resumes the same thread", async () => {
    const agent = await newAgent();
    const first = await run(agent);
    await completeTurn(agent, "REMEMBER-ME", "the colour is teal");
    const threadId = (await agentMeta(agent)).codexThreadId as string;
    expect(threadId).toBeTruthy();
    expect(agent.savedThreadId()).toBe(threadId);

    await first.kill();
    // The app-server runs in its own process group; the kernel's parent-death signal still ends it.
    await waitFor(async () => (await codexProcesses(agent)).length === 0, {
      what: "the killed runner's app-server to exit",
    });
    // Something a crash could still leave (a shell Codex started in its own session): the next start ends it.
    const leftover = Bun.spawn(["sleep", "600"], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", CODEX_HOME: agent.codexHome },
      stdio: ["ignore", "ignore", "ignore"],
    });
    cleanups.push(async () => leftover.kill("SIGKILL"));

    const second = await run(agent);
    await waitFor(async () => (await agentMeta(agent)).codexThreadId === threadId, {
      what: "the restarted agent to report the same thread",
    });
    expect(await leftover.exited).toBe(143);

    await send(agent, "AFTER-RESTART what colour?");
    const after = await modelSaw("AFTER-RESTART");
    expect(after.headers["thread-id"] ?? after.headers["session-id"]).toBe(threadId);
    expect(inputText(after)).toContain("the colour is teal");
    await stopAndExpectNothingLeft(agent, second);
  });

  test("`attach <agent>`, the short command the runner prints, opens a TUI on the agent's live thread", async () => {
    const agent = await newAgent("codex-attach");
    const child = await run(agent);
    await completeTurn(agent, "BEFORE-ATTACH", "hello");
    const threadId = (await agentMeta(agent)).codexThreadId as string;

    expect(child.attachCommand()).toBe(`agent-relay-runner attach ${agent.agentId}`);
    const bin = join(import.meta.dir, "../../bin/agent-relay-runner");
    const printed = Bun.spawnSync([bin, "attach", agent.agentId, "--print"], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: agent.home },
    });
    const attach = printed.stdout.toString().trim();
    expect(attach, printed.stderr.toString()).toContain(`resume ${threadId} --remote ws://127.0.0.1:`);
    const socket = /-L (\S+)/.exec(attach)?.[1] as string;
    const session = /new-session -A -s (\S+)/.exec(attach)?.[1] as string;
    // The same command from the control server (what the agent's own tools ask for) and the info file's tmux fields.
    const control = await controlServerOf(agent);
    const res = await fetch(`${control.url}/v1/terminal`, {
      headers: { authorization: `Bearer ${control.secret}` },
    });
    expect(res.status).toBe(200);
    const spec = (await res.json()) as { command: string[]; tmux: { socket: string; session: string } };
    expect(spec.command).toContain(threadId);
    expect(spec.tmux).toEqual({ socket, session });
    const info = await readRunnerInfoFile(agent.infoFile);
    expect({ socket: info.tmuxSocket, session: info.tmuxSession }).toEqual({ socket, session });
    // A person pastes it into their terminal; an outer tmux pane plays that terminal.
    const outer: TmuxSandbox = createTmuxSandbox("codex-person");
    cleanups.push(async () => {
      await runTmux(socket, ["kill-server"]).catch(() => {});
      await outer.cleanup();
    });
    await outer.tmux.newSession({
      name: "person",
      cwd: outer.dir,
      command: ["env", "-u", "TMUX", `HOME=${agent.home}`, bin, "attach", agent.agentId],
    });
    const screen = () => runTmux(socket, ["capture-pane", "-p", "-J", "-t", `=${session}:`]).catch(() => "");
    await waitFor(async () => (await screen()).includes("done: BEFORE-ATTACH"), {
      timeoutMs: 20_000,
      what: "the TUI to show the relay's earlier turn",
    });

    // A turn typed there runs on the same thread, through the runner's app-server.
    await runTmux(socket, ["send-keys", "-t", `=${session}:`, "-l", "TYPED-IN-TUI hi"]);
    await waitFor(
      async () => {
        if (fake.requestsFor("TYPED-IN-TUI").length > 0) return true;
        // The TUI takes a fast burst as a paste; Enter is repeated until the turn starts.
        await runTmux(socket, ["send-keys", "-t", `=${session}:`, "Enter"]);
        return false;
      },
      { timeoutMs: 15_000, intervalMs: 400, what: "the typed turn to reach the model" },
    );
    const typed = fake.requestsFor("TYPED-IN-TUI")[0];
    expect(typed?.headers["thread-id"] ?? typed?.headers["session-id"]).toBe(threadId);
    expect(inputText(typed as { body: { input?: unknown[] } })).toContain("BEFORE-ATTACH");

    // Stopping the agent also ends the TUI and its tmux session.
    await stopAndExpectNothingLeft(agent, child);
    await waitFor(async () => !(await runTmux(socket, ["list-sessions"]).catch(() => "")).includes(session), {
      what: "the attach session to close",
    });
  });
});
