// A scripted fake of the Anthropic Messages API on loopback, for driving the real Claude Code CLI in tests.
//
// Replies are chosen from the text of the LAST `role:"user"` message (Claude Code appends `role:"system"`
// entries after it, so the last message is not always the user's). Scripted rules come first, then
// built-in directives found in that text:
//   RUN_BASH: <cmd>     -> a Bash `tool_use` (the rest of the line is the command)
//   SLOW:<ms>           -> the text reply is streamed slowly over about <ms>
//   FAIL:<status>       -> HTTP error with that status (429 and 5xx carry x-should-retry: false)
// A user message holding a tool_result gets `TOOL_DONE: <output>`; anything else gets DEFAULT_REPLY.
// Every request is recorded so tests can assert what the model saw.

export const DEFAULT_REPLY = "OK from fake model";

export type FakeReply =
  | { kind: "text"; text: string /** spread the chunks over this long */; durationMs?: number }
  | { kind: "bash"; command: string; description?: string }
  | { kind: "error"; status: number; message?: string };

export interface FakeRule {
  /** Substring of (or regex over) the last user text. */
  match: string | RegExp;
  reply: FakeReply | ((req: RecordedRequest) => FakeReply);
  /** Use the rule for one request only. */
  once?: boolean;
}

export interface RecordedRequest {
  seq: number;
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  /** Text of the last user message (text blocks joined by "\n"), "" when there is none. */
  lastUserText: string;
  /** Every string found in `messages` and `system`, joined by "\n" — what the model "saw". */
  allText: string;
  /** True for Messages requests (main loop and side requests). */
  isMessages: boolean;
  /** True for main-loop requests: they offer tools. Side requests (titles, summaries) get the default reply. */
  isMainLoop: boolean;
}

interface Block {
  type?: string;
  text?: string;
  content?: unknown;
}
interface ApiMessage {
  role?: string;
  content?: string | Block[];
}

function collectStrings(v: unknown, out: string[]): void {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) for (const x of v) collectStrings(x, out);
  else if (v && typeof v === "object") for (const x of Object.values(v)) collectStrings(x, out);
}

function textOf(content: ApiMessage["content"]): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter((b) => b.type === "text" && typeof b.text === "string")
    .map((b) => b.text)
    .join("\n");
}

function lastUser(messages: ApiMessage[]): ApiMessage | undefined {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === "user") return messages[i];
  return undefined;
}

function toolResultText(msg: ApiMessage | undefined): string | undefined {
  if (!msg || !Array.isArray(msg.content)) return undefined;
  const results = msg.content.filter((b) => b.type === "tool_result");
  if (results.length === 0) return undefined;
  const out: string[] = [];
  collectStrings(
    results.map((r) => r.content),
    out,
  );
  return out.join("\n");
}

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export class FakeAnthropicApi {
  readonly requests: RecordedRequest[] = [];
  private rules: FakeRule[] = [];
  private server: ReturnType<typeof Bun.serve> | undefined;
  private seq = 0;
  private toolSeq = 0;

  /** Start listening on 127.0.0.1 with a random port. */
  start(): this {
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeout: 0,
      fetch: (req) => this.handle(req),
    });
    return this;
  }

  get url(): string {
    if (!this.server) throw new Error("fake API not started");
    return `http://127.0.0.1:${this.server.port}`;
  }

  /** Add a scripted rule; later rules are checked after earlier ones. */
  script(rule: FakeRule): this {
    this.rules.push(rule);
    return this;
  }

  /** Main-loop Messages requests whose visible text includes `text`. */
  requestsContaining(text: string): RecordedRequest[] {
    return this.requests.filter((r) => r.isMainLoop && r.allText.includes(text));
  }

  async stop(): Promise<void> {
    await this.server?.stop(true);
    this.server = undefined;
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    let body: unknown;
    const raw = req.method === "GET" ? "" : await req.text();
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const b = (body ?? {}) as {
      messages?: ApiMessage[];
      system?: unknown;
      stream?: boolean;
      model?: string;
      tools?: unknown[];
    };
    const messages = Array.isArray(b.messages) ? b.messages : [];
    const strings: string[] = [];
    collectStrings(b.messages, strings);
    collectStrings(b.system, strings);
    const isMessages = req.method === "POST" && url.pathname === "/v1/messages";
    const rec: RecordedRequest = {
      seq: ++this.seq,
      at: Date.now(),
      method: req.method,
      path: url.pathname + url.search,
      headers: Object.fromEntries(req.headers),
      body,
      lastUserText: textOf(lastUser(messages)?.content),
      allText: strings.join("\n"),
      isMessages,
      isMainLoop: isMessages && Array.isArray(b.tools) && b.tools.length > 0,
    };
    this.requests.push(rec);

    if (url.pathname === "/v1/messages/count_tokens") return Response.json({ input_tokens: 100 });
    if (url.pathname.startsWith("/v1/models")) {
      const model = {
        type: "model",
        id: "claude-sonnet-4-5",
        display_name: "Claude Sonnet 4.5",
        created_at: "2025-01-01T00:00:00Z",
      };
      return Response.json({ data: [model], has_more: false, first_id: model.id, last_id: model.id });
    }
    if (!isMessages) return Response.json({}, { status: req.method === "GET" ? 200 : 404 });

    const reply = this.choose(rec, lastUser(messages));
    if (reply.kind === "error") return this.error(reply.status, reply.message);
    return b.stream === false ? this.json(reply, b.model) : this.stream(reply, b.model);
  }

  private choose(rec: RecordedRequest, last: ApiMessage | undefined): FakeReply {
    // Side requests (session titles, summaries) must neither consume scripts nor trigger directives.
    if (!rec.isMainLoop) return { kind: "text", text: DEFAULT_REPLY };
    for (const rule of this.rules) {
      const hit =
        typeof rule.match === "string"
          ? rec.lastUserText.includes(rule.match)
          : rule.match.test(rec.lastUserText);
      if (!hit) continue;
      if (rule.once) this.rules.splice(this.rules.indexOf(rule), 1);
      return typeof rule.reply === "function" ? rule.reply(rec) : rule.reply;
    }
    const toolOut = toolResultText(last);
    if (toolOut !== undefined) return { kind: "text", text: `TOOL_DONE: ${toolOut.slice(0, 200)}` };
    const t = rec.lastUserText;
    const bash = /RUN_BASH: (.+)/.exec(t);
    if (bash?.[1]) return { kind: "bash", command: bash[1].trim() };
    const fail = /FAIL:(\d{3})/.exec(t);
    if (fail?.[1]) return { kind: "error", status: Number(fail[1]) };
    const slow = /SLOW:(\d+)/.exec(t);
    if (slow?.[1]) return { kind: "text", text: `${DEFAULT_REPLY} (slow)`, durationMs: Number(slow[1]) };
    return { kind: "text", text: DEFAULT_REPLY };
  }

  private error(status: number, message?: string): Response {
    const type =
      status === 429
        ? "rate_limit_error"
        : status === 401
          ? "authentication_error"
          : status >= 500
            ? "api_error"
            : "invalid_request_error";
    return Response.json(
      { type: "error", error: { type, message: message ?? `scripted ${status}` } },
      // No retries: a test wants the failure to surface at once, not after Claude's backoff.
      { status, headers: { "x-should-retry": "false", "request-id": `req_fake_${this.seq}` } },
    );
  }

  private content(
    reply: Exclude<FakeReply, { kind: "error" }>,
  ):
    | { type: "text"; text: string }
    | { type: "tool_use"; id: string; name: string; input: Record<string, string> } {
    if (reply.kind === "text") return { type: "text", text: reply.text };
    const input = { command: reply.command, description: reply.description ?? "scripted bash" };
    return { type: "tool_use" as const, id: `toolu_fake_${++this.toolSeq}`, name: "Bash", input };
  }

  private json(reply: Exclude<FakeReply, { kind: "error" }>, model = "claude-sonnet-4-5"): Response {
    const content = this.content(reply);
    return Response.json({
      id: `msg_fake_${this.seq}`,
      type: "message",
      role: "assistant",
      model,
      content: [content],
      stop_reason: content.type === "tool_use" ? "tool_use" : "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 100, output_tokens: 10 },
    });
  }

  private stream(reply: Exclude<FakeReply, { kind: "error" }>, model = "claude-sonnet-4-5"): Response {
    const content = this.content(reply);
    const id = `msg_fake_${this.seq}`;
    const usage = {
      input_tokens: 100,
      output_tokens: 1,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    };
    const head = [
      sse("message_start", {
        type: "message_start",
        message: {
          id,
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage,
        },
      }),
    ];
    const deltas: string[] = [];
    if (content.type === "text") {
      head.push(
        sse("content_block_start", {
          type: "content_block_start",
          index: 0,
          content_block: { type: "text", text: "" },
        }),
      );
      const words = content.text.split(/(?<= )/);
      for (const w of words)
        deltas.push(
          sse("content_block_delta", {
            type: "content_block_delta",
            index: 0,
            delta: { type: "text_delta", text: w },
          }),
        );
    } else {
      const block = { type: "tool_use", id: content.id, name: content.name, input: {} };
      head.push(sse("content_block_start", { type: "content_block_start", index: 0, content_block: block }));
      const partial_json = JSON.stringify(content.input);
      deltas.push(
        sse("content_block_delta", {
          type: "content_block_delta",
          index: 0,
          delta: { type: "input_json_delta", partial_json },
        }),
      );
    }
    const stop = content.type === "tool_use" ? "tool_use" : "end_turn";
    const tail = [
      sse("content_block_stop", { type: "content_block_stop", index: 0 }),
      sse("message_delta", {
        type: "message_delta",
        delta: { stop_reason: stop, stop_sequence: null },
        usage: { output_tokens: 10 },
      }),
      sse("message_stop", { type: "message_stop" }),
    ];
    const durationMs = reply.kind === "text" ? (reply.durationMs ?? 0) : 0;
    const gap = deltas.length > 0 ? durationMs / deltas.length : 0;
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        try {
          controller.enqueue(enc.encode(head.join("")));
          for (const d of deltas) {
            if (gap > 0) await Bun.sleep(gap);
            controller.enqueue(enc.encode(d));
          }
          controller.enqueue(enc.encode(tail.join("")));
          controller.close();
        } catch {
          // The client went away mid-stream (an interrupt): nothing to clean up.
        }
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        "request-id": `req_fake_${this.seq}`,
      },
    });
  }
}
