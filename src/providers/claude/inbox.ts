// Claude Code's cross-session inbox: the Unix socket the runner fixes with --messaging-socket-path, whether it is
// bound, and one NDJSON line written to it (a new turn when Claude is idle, or text spliced into the running one).
import { connect } from "node:net";
import { z } from "zod";
import { RunnerError } from "../../util/errors.ts";
import type { ClaudeSessionFile } from "./session-file.ts";

/** Claude closes a line past about 1M characters; a relay body may be 2M: the rest stays behind `msg read`. */
export const MAX_INBOX_CHARS = 200_000;

/**
 * `next`: between two tool calls of the running turn (or a new turn when idle). `later`: only once the running
 * turn ended, as its own turn (verified on 2.1.330: a `later` line written during a tool call waits for Stop).
 */
export type InboxPriority = "next" | "later";

/** The one frame we send: a user message (Claude needs non-empty string content), no session id, no auth line. */
export const InboxFrame = z.object({
  type: z.literal("user"),
  message: z.object({ role: z.literal("user"), content: z.string().min(1).max(MAX_INBOX_CHARS) }),
  priority: z.enum(["next", "later"]),
});
export type InboxFrame = z.infer<typeof InboxFrame>;

/** The inbox is on unless AGENT_RELAY_CLAUDE_INBOX says off (0, false, no, off), as AGENT_RELAY_CLAUDE_MONITOR does. */
export function inboxWanted(value: string | undefined): boolean {
  return !["0", "false", "no", "off"].includes((value ?? "").trim().toLowerCase());
}

/**
 * Whether Claude bound the inbox at `path`: its session registry names it and the socket takes a connection (the
 * registry alone is not enough: under --isolate a path in the sandbox's private /tmp is named but out of reach).
 */
export async function inboxBound(registry: ClaudeSessionFile | undefined, path: string): Promise<boolean> {
  if (registry?.messagingSocketPath !== path) return false;
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** The content for the frame: cut (with a pointer to the full text) when longer than Claude takes. */
export function boundInboxContent(text: string, ids: number[]): string {
  if (text.length <= MAX_INBOX_CHARS) return text;
  const tail = `\n… (cut; full text: ${ids.map((id) => `"$AGENT_RELAY_BIN" msg read ${id}`).join(", ")})`;
  return `${text.slice(0, MAX_INBOX_CHARS - tail.length)}${tail}`;
}

/**
 * Write one frame and close. Claude answers nothing to a raw writer, so success means only that the line was
 * taken by the socket; the model seeing it is confirmed from hooks or the transcript. Rejects DELIVERY_FAILED.
 */
export function writeInbox(path: string, frame: InboxFrame, signal?: AbortSignal): Promise<void> {
  const line = `${JSON.stringify(InboxFrame.parse(frame))}\n`;
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const fail = (e: unknown) => {
      socket.destroy();
      signal?.removeEventListener("abort", onAbort);
      reject(new RunnerError("DELIVERY_FAILED", "the Claude inbox did not take the message", { cause: e }));
    };
    const onAbort = () => fail(signal?.reason);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("error", fail);
    socket.once("connect", () =>
      socket.end(line, () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }),
    );
  });
}

/** A spawn's inbox: the path it asked Claude to bind, and whether Claude did (checked again until it has). */
export class InboxLink {
  private bound = false;

  constructor(
    readonly path: string,
    private readonly registry: () => Promise<ClaudeSessionFile | undefined>,
  ) {}

  get isBound(): boolean {
    return this.bound;
  }

  /** Whether the inbox takes messages now; a late bind (Claude's flag refreshed) is noticed here. */
  async check(): Promise<boolean> {
    if (!this.bound) this.bound = await inboxBound(await this.registry(), this.path);
    return this.bound;
  }

  /** One message line; a refused write marks the inbox unbound (the next delivery checks it again). */
  async send(content: string, priority: InboxPriority, signal?: AbortSignal): Promise<void> {
    try {
      await writeInbox(this.path, { type: "user", message: { role: "user", content }, priority }, signal);
    } catch (e) {
      this.bound = false;
      throw e;
    }
  }
}
