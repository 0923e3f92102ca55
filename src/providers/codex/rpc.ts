// JSON-RPC 2.0 over one WebSocket to `codex app-server`: timed requests, typed notifications, server requests to a handler.
import type { z } from "zod";
import { type Clock, systemClock } from "../../util/clock.ts";
import { RunnerError } from "../../util/errors.ts";
import type { Logger } from "../../util/logger.ts";
import { IncomingMessage } from "./schemas.ts";

export type RpcId = number | string;

export interface RpcNotification {
  method: string;
  params: unknown;
}

export interface RpcServerRequest {
  id: RpcId;
  method: string;
  params: unknown;
}

/** Returns true when it took the request (and will answer it with `respond`). */
export type ServerRequestHandler = (request: RpcServerRequest) => boolean;

export class RpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
  ) {
    super(`${method} failed (${code}): ${message}`);
    this.name = "RpcError";
  }
}

export interface CodexRpcOptions {
  logger: Logger;
  clock?: Clock;
  /** Default deadline for every request; unknown methods never get an answer. */
  requestTimeoutMs?: number;
}

interface Pending {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  cancelTimer: () => void;
}

type SocketState = "open" | "closing" | "closed";

export class CodexRpc {
  private nextId = 1;
  private state: SocketState = "open";
  private readonly pending = new Map<RpcId, Pending>();
  private readonly notificationListeners = new Set<(n: RpcNotification) => void>();
  private readonly closeListeners = new Set<(reason: string) => void>();
  private requestHandler: ServerRequestHandler | undefined;
  private readonly clock: Clock;
  private readonly requestTimeoutMs: number;
  private readonly closed: Promise<void>;

  private constructor(
    private readonly ws: WebSocket,
    private readonly options: CodexRpcOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (e) => {
        this.state = "closed";
        const reason = `socket closed (${e.code}${e.reason ? ` ${e.reason}` : ""})`;
        for (const p of this.pending.values()) {
          p.cancelTimer();
          p.reject(new RunnerError("PROVIDER_EXITED", `${p.method}: ${reason}`));
        }
        this.pending.clear();
        for (const l of this.closeListeners) l(reason);
        resolve();
      });
    });
    ws.addEventListener("message", (e) => this.receive(e.data));
  }

  /** Open the socket; rejects after `timeoutMs` or when `signal` aborts. */
  static connect(
    url: string,
    options: CodexRpcOptions & { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<CodexRpc> {
    const clock = options.clock ?? systemClock;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const fail = (error: Error) => {
        cleanup();
        ws.close();
        reject(error);
      };
      const onAbort = () =>
        fail(new RunnerError("ABORTED", `connect to ${url} aborted`, { cause: options.signal?.reason }));
      const timer = clock.setTimeout(
        () => fail(new RunnerError("TIMEOUT", `connect to ${url} timed out`)),
        options.timeoutMs ?? 5_000,
      );
      const onError = () => fail(new RunnerError("PROVIDER_NOT_READY", `could not connect to ${url}`));
      const onOpen = () => {
        cleanup();
        resolve(new CodexRpc(ws, options));
      };
      const cleanup = () => {
        timer.cancel();
        options.signal?.removeEventListener("abort", onAbort);
        ws.removeEventListener("open", onOpen);
        ws.removeEventListener("error", onError);
      };
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener("abort", onAbort, { once: true });
      ws.addEventListener("open", onOpen);
      ws.addEventListener("error", onError);
    });
  }

  get isOpen(): boolean {
    return this.state === "open";
  }

  /** Send a request and parse its result with `schema`; rejects on error, timeout, abort or socket close. */
  request<S extends z.ZodType>(
    method: string,
    params: unknown,
    schema: S,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<z.infer<S>> {
    if (this.state !== "open")
      return Promise.reject(new RunnerError("PROVIDER_EXITED", `${method}: socket is ${this.state}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const { signal } = options;
      const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
      const onAbort = () =>
        settle(() => reject(new RunnerError("ABORTED", `${method} aborted`, { cause: signal?.reason })));
      const timer = this.clock.setTimeout(
        () => settle(() => reject(new RunnerError("TIMEOUT", `${method} got no answer in ${timeoutMs} ms`))),
        timeoutMs,
      );
      const settle = (fn: () => void) => {
        if (!this.pending.delete(id)) return;
        timer.cancel();
        signal?.removeEventListener("abort", onAbort);
        fn();
      };
      this.pending.set(id, {
        method,
        cancelTimer: () => {
          timer.cancel();
          signal?.removeEventListener("abort", onAbort);
        },
        resolve: (value) =>
          settle(() => {
            const parsed = schema.safeParse(value);
            if (parsed.success) resolve(parsed.data);
            else
              reject(
                new RunnerError("PROVIDER_EXITED", `${method}: unexpected result: ${parsed.error.message}`),
              );
          }),
        reject: (error) => settle(() => reject(error)),
      });
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.send({ id, method, params });
    });
  }

  notify(method: string, params?: unknown): void {
    if (this.state === "open") this.send(params === undefined ? { method } : { method, params });
  }

  /** Answer a server request. */
  respond(id: RpcId, result: unknown): void {
    if (this.state === "open") this.send({ id, result });
  }

  respondError(id: RpcId, code: number, message: string): void {
    if (this.state === "open") this.send({ id, error: { code, message } });
  }

  onNotification(listener: (n: RpcNotification) => void): () => void {
    this.notificationListeners.add(listener);
    return () => this.notificationListeners.delete(listener);
  }

  onClose(listener: (reason: string) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** The one handler for server→client requests; requests it declines are answered "method not found". */
  setServerRequestHandler(handler: ServerRequestHandler | undefined): void {
    this.requestHandler = handler;
  }

  /** Close the socket; resolves once closed or after `timeoutMs` (the peer may be gone). */
  async close(timeoutMs = 2_000): Promise<void> {
    if (this.state === "closed") return;
    if (this.state === "open") {
      this.state = "closing";
      this.ws.close(1000, "client closing");
    }
    let timer: { cancel(): void } | undefined;
    await Promise.race([
      this.closed,
      new Promise<void>((r) => (timer = this.clock.setTimeout(r, timeoutMs))),
    ]);
    timer?.cancel();
    // Bun's client can drop the connection without the close handshake.
    if ((this.state as SocketState) !== "closed") (this.ws as { terminate?: () => void }).terminate?.();
  }

  private send(message: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(message));
  }

  private receive(data: unknown): void {
    let raw: unknown;
    try {
      raw = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data as ArrayBuffer));
    } catch {
      this.options.logger.warn("codex app-server sent a frame that is not JSON; dropped");
      return;
    }
    const parsed = IncomingMessage.safeParse(raw);
    if (!parsed.success) {
      this.options.logger.warn(
        { issues: parsed.error.issues.length },
        "codex app-server sent an invalid JSON-RPC message; dropped",
      );
      return;
    }
    const msg = parsed.data;
    if ("method" in msg && "id" in msg) {
      this.dispatchRequest({ id: msg.id, method: msg.method, params: msg.params });
      return;
    }
    if ("method" in msg) {
      for (const l of this.notificationListeners) l({ method: msg.method, params: msg.params });
      return;
    }
    const pending = this.pending.get(msg.id);
    if (!pending) return;
    if ("error" in msg) pending.reject(new RpcError(pending.method, msg.error.code, msg.error.message));
    else pending.resolve(msg.result);
  }

  private dispatchRequest(request: RpcServerRequest): void {
    let taken = false;
    try {
      taken = this.requestHandler?.(request) ?? false;
    } catch (e) {
      this.options.logger.error({ err: e, method: request.method }, "server request handler threw");
    }
    if (!taken) this.respondError(request.id, -32601, `client does not handle ${request.method}`);
  }
}
