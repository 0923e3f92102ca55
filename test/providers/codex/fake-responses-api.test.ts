// The scripted fake Responses API itself: rule matching, step order, failures and the request log.
import { afterEach, describe, expect, test } from "bun:test";
import {
  type FakeResponsesApi,
  failed,
  http500,
  shell,
  startFakeResponsesApi,
  text,
} from "../../support/fake-responses-api.ts";
import { waitFor } from "../../support/wait-for.ts";

let fake: FakeResponsesApi | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

const user = (t: string) => ({ type: "message", role: "user", content: [{ type: "input_text", text: t }] });

async function post(api: FakeResponsesApi, input: unknown[]) {
  const res = await fetch(`${api.baseUrl}/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-codex-turn-metadata": '{"request_kind":"turn"}' },
    body: JSON.stringify({
      model: "gpt-5.5",
      stream: true,
      input,
      tools: [{ type: "function", name: "exec_command" }],
    }),
  });
  const body = await res.text();
  const events = body
    .split("\n\n")
    .filter((f) => f.startsWith("event: "))
    .map((f) => JSON.parse(f.slice(f.indexOf("data: ") + 6)) as { type: string; [k: string]: unknown });
  return { status: res.status, events };
}

describe("fake Responses API", () => {
  test("without a rule it echoes the last user text and ends with response.completed", async () => {
    fake = await startFakeResponsesApi();
    const { events } = await post(fake, [
      user("<environment_context>x</environment_context>"),
      user("hi there"),
    ]);
    expect(events.at(-1)?.type).toBe("response.completed");
    const done = events.find((e) => e.type === "response.output_item.done") as unknown as {
      item: { content: { text: string }[] };
    };
    expect(done.item.content[0]?.text).toBe("ECHO: hi there [fake]");
    expect(fake.requests[0]).toMatchObject({ lastUserText: "hi there", requestKind: "turn" });
  });

  test("a rule's steps answer successive requests of one user turn, then tool output is echoed", async () => {
    fake = await startFakeResponsesApi();
    fake.script(/^RUN/, [shell("ls"), text("listed")]);
    const first = await post(fake, [user("RUN now")]);
    const call = first.events.find((e) => e.type === "response.output_item.done") as unknown as {
      item: Record<string, string>;
    };
    expect(call.item).toMatchObject({
      type: "function_call",
      name: "exec_command",
      arguments: '{"cmd":"ls"}',
    });
    const output = { type: "function_call_output", call_id: call.item.call_id, output: "a.txt" };
    const second = await post(fake, [user("RUN now"), call.item, output]);
    expect(JSON.stringify(second.events)).toContain('"text":"listed"');
    const third = await post(fake, [user("RUN now"), call.item, output, call.item, output]);
    expect(JSON.stringify(third.events)).toContain("TOOL_DONE: a.txt");
  });

  test("http500 answers with status 500 and failed streams response.failed with the message", async () => {
    fake = await startFakeResponsesApi();
    fake.script("BOOM", [http500()]);
    fake.script("BROKEN", [failed("it broke")]);
    expect((await post(fake, [user("BOOM")])).status).toBe(500);
    const broken = await post(fake, [user("BROKEN")]);
    expect(broken.events.at(-1)).toMatchObject({
      type: "response.failed",
      response: { error: { message: "it broke" } },
    });
  });

  test("a gated text step holds its stream until the gate opens", async () => {
    fake = await startFakeResponsesApi();
    let open!: () => void;
    fake.script("WAIT", [text("released", { gate: new Promise<void>((r) => (open = r)) })]);
    let finished = false;
    const pending = post(fake, [user("WAIT")]).then((r) => {
      finished = true;
      return r;
    });
    await waitFor(() => fake?.requests.length === 1, { what: "the gated request to arrive" });
    expect(finished).toBe(false);
    open();
    expect(JSON.stringify((await pending).events)).toContain("released");
  });
});
