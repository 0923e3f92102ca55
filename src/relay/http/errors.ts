// The relay's HTTP error type and the JSON error responses built from it.
import type { ErrorCode } from "../../protocol/index.ts";

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthorized: 401,
  token_expired: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  claim_conflict: 409,
  not_claimable: 400,
  conflict: 409,
  stale_instance: 409,
  // Bus only (an error frame before close code 4409); never an HTTP answer.
  replaced: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
};

/** Thrown by handlers and turned into `{"error":{code,message,details?}}`; `extra` adds top-level fields. */
export class HttpError extends Error {
  readonly status: number;
  /** Extra response headers (e.g. Retry-After on a 429). */
  headers?: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly extra?: Record<string, unknown>,
    status?: number,
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status ?? STATUS[code];
  }
}

export function errorResponse(e: HttpError): Response {
  const error: Record<string, unknown> = { code: e.code, message: e.message };
  if (e.details !== undefined) error.details = e.details;
  return Response.json({ ...e.extra, error }, { status: e.status, headers: e.headers });
}

export const notFound = (what: string): HttpError => new HttpError("not_found", `${what} not found`);
export const forbidden = (message: string): HttpError => new HttpError("forbidden", message);
export const invalid = (message: string, details?: unknown): HttpError =>
  new HttpError("invalid_request", message, details);

/** 429 with Retry-After (whole seconds, at least 1) and `{retryAfterMs}` in details. */
export function rateLimited(message: string, retryAfterMs: number): HttpError {
  const e = new HttpError("rate_limited", message, { retryAfterMs });
  e.headers = { "retry-after": String(Math.max(1, Math.ceil(retryAfterMs / 1000))) };
  return e;
}
