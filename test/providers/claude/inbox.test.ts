// Delivery through Claude Code's cross-session inbox: real claude CLI in real tmux, the real control server, a fake
// model. Idle, busy (during a tool call: urgent into the running turn, normal as the next turn), and the fallbacks.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { AdapterEvent, DeliveryItem } from "../../../src/providers/adapter.ts";
import type { RecordedRequest } from "../../support/fake-anthropic-api.ts";
import { waitFor } from "../../support/wait-for.ts";
import { type AgentUnderTest, hooksSeen, type Rig, relayMessage, rigPerFile } from "./harness.ts";

const file = rigPerFile();
const agent = file.agent;
let rig: Rig;
beforeAll(() => {
  rig = file.rig;
});

const header = (item: DeliveryItem) => `[relay message #${item.message.id} from ${item.message.from}]`;
const urgent = (item: DeliveryItem): DeliveryItem => ({ ...item, midTurn: true });
const confirmations = (a: AgentUnderTest, item: DeliveryItem) =>
  a.events.filter(
    (e): e is Extract<AdapterEvent, { type: "delivery.confirmed" }> =>
      e.type === "delivery.confirmed" && e.messageId === item.message.id,
  );

/** The inbox's own wording, which neither a paste nor a monitor notification carries. */
const INBOX_IDLE = "Another Claude session sent a message:";
const INBOX_MID_TURN = "Another Claude session sent a message while you were working:";

/** A spawned agent busy in a Bash tool call that lasts until `release()` creates its file. */
async function busyInToolCall(
  a: AgentUnderTest,
): Promise<{ release: () => Promise<void>; turnId: string; output: string }> {
  const gate = join(a.cwd, "go");
  const output = `released-${a.providerSessionId}`;
  const start = relayMessage(`RUN_BASH: while [ ! -f ${gate} ]; do sleep 0.05; done; echo ${output}`);
  await a.adapter.deliver([start], AbortSignal.timeout(20_000));
  const pre = await waitFor(() => hooksSeen(rig, a.providerSessionId, "PreToolUse")[0], {
    what: "the Bash tool call to start",
  });
  return { release: () => writeFile(gate, ""), turnId: String(pre.prompt_id), output };
}

/** Claude records a message it queued in the transcript at once: the inbox took it. */
async function waitUntilQueued(a: AgentUnderTest, item: DeliveryItem): Promise<void> {
  const transcript = String(hooksSeen(rig, a.providerSessionId, "SessionStart")[0]?.transcript_path);
  await waitFor(
    async () =>
      existsSync(transcript) && (await readFile(transcript, "utf8")).includes(header(item))
        ? true
        : undefined,
    { what: "Claude to queue the message" },
  );
}

/** The first request that carries the tool call's output back to the model (the turn's next request). */
function toolResultRequest(output: string): RecordedRequest | undefined {
  const block = `"type":"tool_result","content":"${output}"`;
  return rig.fake.requests.find(
    (r) => r.isMainLoop && JSON.stringify((r.body as { messages: unknown }).messages).includes(block),
  );
}

/** Only the request's number, so a failed expectation does not print the whole request. */
const seqOf = (r: RecordedRequest | undefined) => r?.seq;

describe("Claude's cross-session inbox", () => {
  test("an idle agent gets a message through the inbox: a new turn, no keystroke, confirmed from its prompt", async () => {
    const a = await agent({ armMonitor: true });
    await a.spawn();
    expect(a.adapter.runtimeMeta()).toMatchObject({
      deliveryPath: "inbox",
      inbox: "bound",
      inboxSocket: join(a.configDir, "inbox.sock"),
    });
    const item = relayMessage("please check the inbox path", { from: "alice", subject: "inbox" });
    const result = await a.adapter.deliver([item], AbortSignal.timeout(20_000));
    const req = await waitFor(() => rig.fake.requestsContaining(header(item))[0], { what: "the message" });
    expect(req.lastUserText).toContain(`${INBOX_IDLE}\n${header(item)}\nSubject: inbox\n`);
    expect(req.allText).not.toContain("<task-notification>");
    expect(result.state).toBe("confirmed");
    expect(confirmations(a, item)).toEqual([
      { type: "delivery.confirmed", messageId: item.message.id, providerSessionId: a.providerSessionId },
    ]);
    // Nothing was typed: the prompt the hook saw is the inbox line, and the input box never held it.
    const prompts = hooksSeen(rig, a.providerSessionId, "UserPromptSubmit").map((p) => p.prompt);
    expect(prompts).toEqual([`${header(item)}\nSubject: inbox\nplease check the inbox path`]);
  }, 60_000);

  test("an urgent message for an agent busy in a tool call reaches the model in that turn's next request, once", async () => {
    const a = await agent({ armMonitor: false });
    await a.spawn();
    const busy = await busyInToolCall(a);
    const item = urgent(relayMessage("stop, use the other branch", { from: "lead" }));
    const delivered = a.adapter.deliver([item], AbortSignal.timeout(30_000));
    await waitUntilQueued(a, item);
    expect(rig.fake.requestsContaining(header(item))).toEqual([]);
    await busy.release();
    const result = await delivered;
    const req = await waitFor(() => rig.fake.requestsContaining(header(item))[0], { what: "the message" });
    // The same turn: the request that returns the tool's output carries it, after the tool_result.
    expect(seqOf(req)).toBe(seqOf(toolResultRequest(busy.output)));
    expect(req.allText).toContain(`${INBOX_MID_TURN}\n${header(item)}\nstop, use the other branch`);
    const spliced = hooksSeen(rig, a.providerSessionId, "UserPromptSubmit").filter((p) =>
      String(p.prompt).includes(header(item)),
    );
    expect(spliced.map((p) => p.prompt_id)).toEqual([busy.turnId]);
    expect(result.state).toBe("confirmed");
    expect(confirmations(a, item)).toEqual([
      {
        type: "delivery.confirmed",
        messageId: item.message.id,
        midTurn: true,
        providerSessionId: a.providerSessionId,
      },
    ]);
    // Neither twice: the turn ends, and its last request holds the message once.
    await waitFor(() => (hooksSeen(rig, a.providerSessionId, "Stop").length >= 1 ? true : undefined), {
      what: "the busy turn to end",
    });
    const last = rig.fake.requests.filter((r) => r.isMainLoop).at(-1) as RecordedRequest;
    expect(last.allText.split(header(item)).length - 1).toBe(1);
  }, 60_000);

  test("a normal message for an agent busy in a tool call waits for the turn's end and becomes the next turn", async () => {
    const a = await agent({ armMonitor: false });
    await a.spawn();
    const busy = await busyInToolCall(a);
    const item = relayMessage("when you are done, look at the logs", { from: "bob" });
    const delivered = a.adapter.deliver([item], AbortSignal.timeout(30_000));
    await busy.release();
    const result = await delivered;
    const req = await waitFor(() => rig.fake.requestsContaining(header(item))[0], { what: "the message" });
    expect(toolResultRequest(busy.output)?.allText).not.toContain(header(item));
    expect(req.lastUserText).toContain(`${INBOX_IDLE}\n${header(item)}`);
    const prompts = hooksSeen(rig, a.providerSessionId, "UserPromptSubmit");
    const own = prompts.filter((p) => String(p.prompt).includes(header(item)));
    expect(own).toHaveLength(1);
    expect(own[0]?.prompt_id).not.toBe(busy.turnId);
    expect(result.state).toBe("confirmed");
    expect(confirmations(a, item)).toEqual([
      { type: "delivery.confirmed", messageId: item.message.id, providerSessionId: a.providerSessionId },
    ]);
  }, 60_000);

  test("an agent that bypasses permissions (approval mode full) takes inbox messages too, with no held-message dialog", async () => {
    const a = await agent({ armMonitor: false, approvalMode: "full" });
    await a.spawn();
    const item = relayMessage("bypass mode hears it", { from: "erin" });
    expect((await a.adapter.deliver([item], AbortSignal.timeout(20_000))).state).toBe("confirmed");
    const req = await waitFor(() => rig.fake.requestsContaining(header(item))[0], { what: "the message" });
    expect(req.lastUserText).toContain(`${INBOX_IDLE}\n${header(item)}`);
    expect(a.events.some((e) => e.type === "needs-input")).toBe(false);
  }, 60_000);

  test("with Claude's inbox gate off the agent detects it at start and falls back to the monitor", async () => {
    const a = await agent({ armMonitor: true, env: { CLAUDE_CODE_HARBOR_KITE: "0" } });
    await a.spawn();
    await waitFor(() => a.adapter.deliveryPath === "monitor", { timeoutMs: 25_000, what: "the monitor" });
    expect(a.adapter.runtimeMeta()).toMatchObject({ inbox: "unbound", inboxSocket: undefined });
    const item = relayMessage("through the monitor then", { from: "carol" });
    expect((await a.adapter.deliver([item], AbortSignal.timeout(20_000))).state).toBe("confirmed");
    const req = await waitFor(() => rig.fake.requestsContaining(header(item))[0], { what: "the message" });
    expect(req.allText).toContain("<task-notification>");
    expect(req.allText).not.toContain(INBOX_IDLE);
  }, 60_000);

  test("with the inbox switched off and no monitor, a message is pasted", async () => {
    const a = await agent({ armMonitor: false, inbox: false });
    await a.spawn();
    expect(a.adapter.runtimeMeta()).toMatchObject({ deliveryPath: "paste", inbox: "off" });
    const item = relayMessage("pasted then", { from: "dave" });
    expect((await a.adapter.deliver([item], AbortSignal.timeout(20_000))).state).toBe("confirmed");
    const req = await waitFor(() => rig.fake.requestsContaining(header(item))[0], { what: "the message" });
    expect(req.lastUserText).toEndWith(`${header(item)}\npasted then`);
    expect(existsSync(join(a.configDir, "inbox.sock"))).toBe(false);
  }, 60_000);
});
