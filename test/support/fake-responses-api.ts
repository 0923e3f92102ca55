// A scripted fake of the OpenAI Responses API (POST /v1/responses, SSE) so the real Codex CLI can run offline in tests.
//
// Script API:
//   const fake = await startFakeResponsesApi();
//   fake.script("RUN-IT", [shell("touch /tmp/x"), text("all done")]);
//   fake.script("HOLD", [holdingShell({ running, release }), text("done")]);  // a turn held open in a tool call
// A rule applies when the LAST user message of a request matches (substring or RegExp). Its steps answer the requests
// of that user turn in order: step 0 answers the request carrying the user message, step 1 the request that follows
// the first tool output, and so on. Past the last step the fake answers `TOOL_DONE: <tool output>`; with no rule
// it answers `ECHO: <user text> [fake]`. Every request is recorded in `fake.requests`.

export type FakeStep =
  /** Stream assistant text (split into a few deltas). `gate` holds the stream open until it resolves. */
  | {
      kind: "text";
      text: string;
      gate?: Promise<void>;
      delayMs?: number;
      chunks?: number;
      inputTokens?: number;
    }
  /** Call the shell tool (`exec_command`); `escalate` asks to run outside the sandbox, which needs approval under on-request. */
  | { kind: "shell"; cmd: string; escalate?: boolean; justification?: string }
  /** Call the `apply_patch` custom tool, adding `file` with `content`. */
  | { kind: "patch"; file: string; content: string }
  /** Answer with HTTP 500. */
  | { kind: "http500"; message?: string }
  /** Answer with HTTP 401 (a refused API key). */
  | { kind: "http401" }
  /** Answer with HTTP 429 (rate limited). */
  | { kind: "http429" }
  /** Stream a `response.failed` event. */
  | { kind: "failed"; message: string };

export const text = (
  t: string,
  options: Omit<Extract<FakeStep, { kind: "text" }>, "kind" | "text"> = {},
): FakeStep => ({
  kind: "text",
  text: t,
  ...options,
});
export const shell = (
  cmd: string,
  options: { escalate?: boolean; justification?: string } = {},
): FakeStep => ({
  kind: "shell",
  cmd,
  ...options,
});
/**
 * A shell call that holds its turn open in the tool until the test creates `files.release`: it touches
 * `files.running` first (so the test knows the turn is inside the tool), and prints `released <tag>` at the end.
 */
export const holdingShell = (files: { running: string; release: string }, tag = "turn"): FakeStep =>
  shell(`touch ${files.running}; while [ ! -e ${files.release} ]; do sleep 0.02; done; echo released ${tag}`);
export const patch = (file: string, content: string): FakeStep => ({ kind: "patch", file, content });
export const http500 = (message?: string): FakeStep => ({ kind: "http500", message });
export const http401 = (): FakeStep => ({ kind: "http401" });
export const http429 = (): FakeStep => ({ kind: "http429" });
export const failed = (message: string): FakeStep => ({ kind: "failed", message });

export interface RecordedRequest {
  /** Epoch ms when the request arrived. */
  at: number;
  path: string;
  headers: Record<string, string>;
  body: ResponsesBody;
  /** Text of the last user message (the one rules match on). */
  lastUserText: string;
  /** `turn` or `compaction`, from the x-codex-turn-metadata header. */
  requestKind: string | undefined;
  /** Every input_text of developer messages, joined (where developer instructions land). */
  developerText: string;
}

interface InputItem {
  type?: string;
  role?: string;
  content?: unknown;
  output?: unknown;
}
interface ResponsesBody {
  model?: string;
  input?: InputItem[];
  tools?: { type?: string; name?: string }[];
  reasoning?: { effort?: string };
}

/** A rule's steps, or a function building them from the matched user text (e.g. to use the relay message id in it). */
export type FakeSteps = FakeStep[] | ((lastUserText: string) => FakeStep[]);

interface Rule {
  match: string | RegExp;
  steps: FakeSteps;
}

export interface FakeResponsesApi {
  /** Base URL for a Codex model provider (`…/v1`; Codex appends `/responses`). */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Add a rule; later rules win over earlier ones. */
  script(match: string | RegExp, steps: FakeSteps): void;
  /** Requests whose last user text contains `needle`. */
  requestsFor(needle: string): RecordedRequest[];
  reset(): void;
  stop(): Promise<void>;
}

function partsText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((p) => (p && typeof p === "object" && "text" in p && typeof p.text === "string" ? p.text : ""))
    .join("");
}

function isEnvironmentContext(t: string): boolean {
  return t.startsWith("<environment_context>") || t.startsWith("<skill>") || t.startsWith("<turn_aborted>");
}

/** Index of the last real user message (not environment/skill wrappers Codex adds). */
function lastUserIndex(input: InputItem[]): number {
  for (let i = input.length - 1; i >= 0; i--) {
    const it = input[i];
    if (
      it?.type === "message" &&
      it.role === "user" &&
      !isEnvironmentContext(partsText(it.content).trimStart())
    )
      return i;
  }
  return -1;
}

function toolOutputText(item: InputItem | undefined): string | undefined {
  if (!item || (item.type !== "function_call_output" && item.type !== "custom_tool_call_output"))
    return undefined;
  return typeof item.output === "string"
    ? item.output
    : partsText(item.output) || JSON.stringify(item.output);
}

function sse(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

function splitText(t: string, chunks: number): string[] {
  const n = Math.max(1, Math.min(chunks, t.length));
  const size = Math.ceil(t.length / n);
  const out: string[] = [];
  for (let i = 0; i < t.length; i += size) out.push(t.slice(i, i + size));
  return out.length > 0 ? out : [""];
}

let seq = 0;

/** The SSE frames for one step; `wait` lets gates and delays hold the stream. */
async function* framesFor(step: FakeStep, body: ResponsesBody, wait: (ms: number) => Promise<void>) {
  const id = `resp_${++seq}`;
  const inputTokens =
    (step.kind === "text" && step.inputTokens) || Math.ceil(JSON.stringify(body.input ?? []).length / 4);
  yield sse("response.created", { response: { id, status: "in_progress" } });
  if (step.kind === "failed") {
    yield sse("response.failed", {
      response: { id, status: "failed", error: { code: "server_error", message: step.message } },
    });
    return;
  }
  let item: Record<string, unknown>;
  if (step.kind === "text") {
    const itemId = `msg_${seq}`;
    yield sse("response.output_item.added", {
      output_index: 0,
      item: { type: "message", id: itemId, role: "assistant", status: "in_progress", content: [] },
    });
    if (step.gate) await step.gate;
    for (const delta of splitText(step.text, step.chunks ?? 3)) {
      if (step.delayMs) await wait(step.delayMs);
      yield sse("response.output_text.delta", { item_id: itemId, output_index: 0, content_index: 0, delta });
    }
    item = {
      type: "message",
      id: itemId,
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: step.text, annotations: [] }],
    };
  } else if (step.kind === "shell") {
    const offersExec = body.tools?.some((t) => t.name === "exec_command") ?? true;
    const args: Record<string, unknown> = offersExec
      ? { cmd: step.cmd }
      : { command: ["bash", "-lc", step.cmd] };
    if (step.escalate) {
      args.sandbox_permissions = "require_escalated";
      args.justification = step.justification ?? "the fake model wants to run this outside the sandbox";
    }
    item = {
      type: "function_call",
      id: `fc_${seq}`,
      call_id: `call_${seq}`,
      name: offersExec ? "exec_command" : "shell",
      arguments: JSON.stringify(args),
      status: "completed",
    };
  } else if (step.kind === "patch") {
    const lines = step.content.split("\n").map((l) => `+${l}`);
    const input = ["*** Begin Patch", `*** Add File: ${step.file}`, ...lines, "*** End Patch"].join("\n");
    item = {
      type: "custom_tool_call",
      id: `ctc_${seq}`,
      call_id: `call_${seq}`,
      name: "apply_patch",
      input,
      status: "completed",
    };
  } else {
    throw new Error(`step ${step.kind} has no stream`);
  }
  yield sse("response.output_item.done", { output_index: 0, item });
  yield sse("response.completed", {
    response: {
      id,
      status: "completed",
      usage: {
        input_tokens: inputTokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 20,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: inputTokens + 20,
      },
    },
  });
}

export async function startFakeResponsesApi(): Promise<FakeResponsesApi> {
  let rules: Rule[] = [];
  const requests: RecordedRequest[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const pickStep = (body: ResponsesBody, lastUserText: string): FakeStep => {
    const input = body.input ?? [];
    const userAt = lastUserIndex(input);
    const toolOutputs = input.slice(userAt + 1).filter((i) => toolOutputText(i) !== undefined).length;
    const rule = [...rules]
      .reverse()
      .find((r) =>
        typeof r.match === "string" ? lastUserText.includes(r.match) : r.match.test(lastUserText),
      );
    const steps = typeof rule?.steps === "function" ? rule.steps(lastUserText) : rule?.steps;
    const step = steps?.[toolOutputs];
    if (step) return step;
    const lastOutput = toolOutputText(input[input.length - 1]);
    if (lastOutput !== undefined) return text(`TOOL_DONE: ${lastOutput}`);
    return text(`ECHO: ${lastUserText} [fake]`);
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 60,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method !== "POST" || !url.pathname.endsWith("/responses"))
        return new Response("not found", { status: 404 });
      const body = (await req.json()) as ResponsesBody;
      const input = body.input ?? [];
      const userAt = lastUserIndex(input);
      const lastUserText = userAt >= 0 ? partsText(input[userAt]?.content) : "";
      let requestKind: string | undefined;
      try {
        requestKind = JSON.parse(req.headers.get("x-codex-turn-metadata") ?? "{}").request_kind;
      } catch {
        requestKind = undefined;
      }
      const developerText = input
        .filter((i) => i.type === "message" && i.role === "developer")
        .map((i) => partsText(i.content))
        .join("\n");
      requests.push({
        at: Date.now(),
        path: url.pathname,
        headers: Object.fromEntries(req.headers),
        body,
        lastUserText,
        requestKind,
        developerText,
      });
      const step = pickStep(body, lastUserText);
      if (step.kind === "http500") {
        return Response.json(
          { error: { message: step.message ?? "fake internal error", type: "server_error" } },
          { status: 500 },
        );
      }
      if (step.kind === "http401") {
        return Response.json(
          {
            error: {
              message: "Incorrect API key provided",
              type: "invalid_request_error",
              code: "invalid_api_key",
            },
          },
          { status: 401 },
        );
      }
      if (step.kind === "http429") {
        return Response.json(
          {
            error: {
              message: "Rate limit reached for requests",
              type: "rate_limit_exceeded",
              code: "rate_limit_exceeded",
            },
          },
          { status: 429 },
        );
      }
      const frames = framesFor(step, body, wait);
      const encoder = new TextEncoder();
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await frames.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        },
        cancel() {
          void frames.return(undefined);
        },
      });
      return new Response(stream, {
        headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
      });
    },
  });

  return {
    baseUrl: `http://127.0.0.1:${server.port}/v1`,
    requests,
    script(match, steps) {
      rules.push({ match, steps });
    },
    requestsFor(needle) {
      return requests.filter((r) => r.lastUserText.includes(needle));
    },
    reset() {
      rules = [];
      requests.length = 0;
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      await server.stop(true);
    },
  };
}
