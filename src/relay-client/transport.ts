// The seam between the typed client and the HTTP stack: one request in, status and a readable body out.
import { errorMessage } from "../util/errors.ts";
import { RelayAbortedError, RelayUnavailableError, ResponseTooLargeError } from "./errors.ts";

export interface TransportRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path and query below the relay's base URL, starting with `/v1/`. */
  path: string;
  /** Precomputed by the client and shared between calls: never mutate. */
  headers: Readonly<Record<string, string>>;
  body?: string | Uint8Array | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
}

export interface TransportResponse {
  status: number;
  /** The whole body as text (errors classified like the request's). */
  text(): Promise<string>;
  /** The whole body as bytes; past `maxBytes` the download is cut off with ResponseTooLargeError. */
  bytes(maxBytes?: number): Promise<Uint8Array>;
  /** Drop the body without reading it, so the connection can be reused. */
  discard(): Promise<void>;
}

export interface HttpTransport {
  request(req: TransportRequest): Promise<TransportResponse>;
  /** Close pooled connections; later requests fail. */
  close(): Promise<void>;
}

/** "POST /v1/messages": how errors name a request (no query string: it may grow, it never holds secrets anyway). */
export function describeRequest(req: Pick<TransportRequest, "method" | "path">): string {
  const q = req.path.indexOf("?");
  return `${req.method} ${q < 0 ? req.path : req.path.slice(0, q)}`;
}

/** Turn whatever the HTTP stack threw into the client's own errors: caller abort, timeout or network failure. */
export function classifyFailure(e: unknown, req: TransportRequest, timedOut: boolean): Error {
  if (
    e instanceof RelayAbortedError ||
    e instanceof ResponseTooLargeError ||
    e instanceof RelayUnavailableError
  )
    return e;
  const what = describeRequest(req);
  if (req.signal?.aborted) return new RelayAbortedError(what, { cause: req.signal.reason });
  if (timedOut) {
    return new RelayUnavailableError(
      "timeout",
      `${what}: no answer from the relay within ${req.timeoutMs} ms`,
      {
        cause: e,
      },
    );
  }
  return new RelayUnavailableError("network", `${what}: relay unreachable (${errorMessage(e)})`, {
    cause: e,
  });
}

/** Read a byte stream to the end, stopping (which cancels the stream) as soon as it passes `maxBytes`. */
export async function readCapped(
  chunks: AsyncIterable<Uint8Array>,
  maxBytes: number,
  declaredLength: number | undefined,
  req: TransportRequest,
): Promise<Uint8Array> {
  if (declaredLength !== undefined && declaredLength > maxBytes) {
    throw new ResponseTooLargeError(maxBytes, describeRequest(req));
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new ResponseTooLargeError(maxBytes, describeRequest(req));
    parts.push(chunk);
  }
  if (parts.length === 1 && parts[0]) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export function parseContentLength(value: string | string[] | null | undefined): number | undefined {
  if (typeof value !== "string") return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
