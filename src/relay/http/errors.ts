// The relay's error vocabulary: each protocol error code's HTTP status, and the refusals handlers throw most.
import { HttpError } from "../../http/errors.ts";
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

/** An HttpError with the status the protocol gives `code`; `extra` adds top-level fields beside `error`. */
export function relayError(
  code: ErrorCode,
  message: string,
  details?: unknown,
  extra?: Record<string, unknown>,
): HttpError {
  return new HttpError(STATUS[code], code, message, { details, extra });
}

export const notFound = (what: string): HttpError => relayError("not_found", `${what} not found`);
export const forbidden = (message: string): HttpError => relayError("forbidden", message);
export const invalid = (message: string, details?: unknown): HttpError =>
  relayError("invalid_request", message, details);

/** 429 with Retry-After (whole seconds, at least 1) and `{retryAfterMs}` in details. */
export function rateLimited(message: string, retryAfterMs: number): HttpError {
  return new HttpError(STATUS.rate_limited, "rate_limited", message, {
    details: { retryAfterMs },
    headers: { "retry-after": String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  });
}
