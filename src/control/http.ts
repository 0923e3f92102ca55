// HTTP plumbing for the control server: JSON error responses and size-capped, deadline-bound JSON body reading.
import type { z } from "zod";
import type { Clock } from "../util/clock.ts";

export type ControlErrorCode =
  | "unauthorized"
  | "not_found"
  | "method_not_allowed"
  | "payload_too_large"
  | "request_timeout"
  | "invalid_json"
  | "invalid_body"
  | "stopping"
  | "upstream_failed"
  | "upstream_timeout"
  | "internal";

/** An HTTP failure with a stable code; the server turns it into `{error: {code, message}}`. */
export class ControlHttpError extends Error {
  readonly status: number;
  readonly code: ControlErrorCode;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    code: ControlErrorCode,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options);
    this.name = "ControlHttpError";
    this.status = status;
    this.code = code;
    this.headers = options?.headers ?? {};
  }
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
}

export function errorResponse(e: ControlHttpError): Response {
  return jsonResponse({ error: { code: e.code, message: e.message } }, e.status, e.headers);
}

export interface ReadBodyOptions {
  maxBytes: number;
  /** The whole body must arrive within this time; a stalled sender gets 408 and its connection closed. */
  timeoutMs: number;
  clock: Clock;
}

/** Read a request body as bytes: Content-Length checked first, the cap enforced again while streaming. */
export async function readBodyBytes(req: Request, options: ReadBodyOptions): Promise<Uint8Array> {
  const tooLarge = () =>
    new ControlHttpError(413, "payload_too_large", `request body exceeds ${options.maxBytes} bytes`, {
      headers: { connection: "close" },
    });
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > options.maxBytes) throw tooLarge();
  if (!req.body) return new Uint8Array(0);

  const reader = req.body.getReader();
  let timedOut = false;
  const timer = options.clock.setTimeout(() => {
    timedOut = true;
    reader.cancel().catch(() => {});
  }, options.timeoutMs);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (timedOut) break;
      if (done) break;
      total += value.byteLength;
      if (total > options.maxBytes) {
        reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof ControlHttpError) throw e;
    if (!timedOut)
      throw new ControlHttpError(400, "invalid_body", "could not read the request body", { cause: e });
  } finally {
    timer.cancel();
  }
  if (timedOut) {
    throw new ControlHttpError(
      408,
      "request_timeout",
      `request body not received within ${options.timeoutMs} ms`,
      {
        headers: { connection: "close" },
      },
    );
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** Read and parse a JSON body; malformed or empty → 400 `invalid_json`. */
export async function readJson(req: Request, options: ReadBodyOptions): Promise<unknown> {
  const bytes = await readBodyBytes(req, options);
  if (bytes.byteLength === 0)
    throw new ControlHttpError(400, "invalid_json", "request body is empty; expected JSON");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (e) {
    throw new ControlHttpError(400, "invalid_json", "request body is not valid UTF-8", { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ControlHttpError(
      400,
      "invalid_json",
      `request body is not valid JSON: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}

/** Validate `value` with `schema`; failure → 400 naming every offending field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what = "body"): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ControlHttpError(400, "invalid_body", describeIssues(result.error, what), {
    cause: result.error,
  });
}

export function describeIssues(error: z.ZodError, what: string): string {
  const parts = error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.length > 0 ? `${what}.${issue.path.map(String).join(".")}` : what;
    return `${path}: ${issue.message}`;
  });
  if (error.issues.length > 5) parts.push(`(${error.issues.length - 5} more)`);
  return parts.join("; ");
}
