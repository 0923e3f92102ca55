// Helpers for control-server tests: a started server, an authenticated fetch, and a delivery-stream reader.

import { type ControlEvent, ControlServer, type ControlServerOptions } from "../../src/control/index.ts";
import type { ProviderEvent } from "../../src/providers/adapter.ts";

export interface Harness {
  server: ControlServer;
  providerEvents: ProviderEvent[];
  controlEvents: ControlEvent[];
  /** fetch with the secret; `path` is relative to the server URL. */
  call(path: string, init?: RequestInit): Promise<Response>;
  post(path: string, body: unknown, init?: RequestInit): Promise<Response>;
}

export function startServer(options: ControlServerOptions = {}): Harness {
  const server = new ControlServer(options);
  server.start();
  const providerEvents: ProviderEvent[] = [];
  const controlEvents: ControlEvent[] = [];
  server.onProviderEvent((e) => providerEvents.push(e));
  server.onControlEvent((e) => controlEvents.push(e));
  const call = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${server.secret}`);
    return fetch(`${server.url}${path}`, { ...init, headers });
  };
  const post = (path: string, body: unknown, init: RequestInit = {}) =>
    call(path, {
      ...init,
      method: "POST",
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers: {
        "content-type": "application/json",
        ...(init.headers as Record<string, string> | undefined),
      },
    });
  return { server, providerEvents, controlEvents, call, post };
}

export interface StreamEvent {
  id?: string;
  data: string;
}

/** Reads `GET /v1/deliveries/stream` like a monitor would, collecting SSE events until closed. */
export class StreamReader {
  readonly events: StreamEvent[] = [];
  /** Every raw line received, to check framing. */
  readonly lines: string[] = [];
  ended = false;
  private readonly abort = new AbortController();
  private pending: StreamEvent = { data: "" };
  private hasData = false;

  static async open(h: Harness, lastEventId?: string): Promise<StreamReader> {
    const reader = new StreamReader();
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
    const res = await h.call("/v1/deliveries/stream", { headers, signal: reader.abort.signal });
    if (res.status !== 200 || !res.body) throw new Error(`stream answered ${res.status}`);
    reader.pump(res.body).catch(() => {});
    return reader;
  }

  get items(): { id: string; messageId: number; line: string }[] {
    return this.events.map((e) => ({
      id: e.id ?? "",
      ...(JSON.parse(e.data) as { messageId: number; line: string }),
    }));
  }

  get lastId(): string | undefined {
    return this.events.at(-1)?.id;
  }

  close(): void {
    this.abort.abort();
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
          this.onLine(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
        }
      }
    } finally {
      this.ended = true;
    }
  }

  private onLine(line: string): void {
    this.lines.push(line);
    if (line === "") {
      if (this.hasData) this.events.push(this.pending);
      this.pending = { data: "" };
      this.hasData = false;
    } else if (line.startsWith("id: ")) this.pending.id = line.slice(4);
    else if (line.startsWith("data: ")) {
      this.pending.data = line.slice(6);
      this.hasData = true;
    }
  }
}

/** A response's JSON body, loosely typed: the tests check its shape with expect. */
// biome-ignore lint/suspicious/noExplicitAny: shapes are asserted by the tests themselves
export async function jsonOf(res: Response | Promise<Response>): Promise<any> {
  return (await res).json();
}
