// The one HTTP error both servers throw, and the one mapping from a thrown value to a JSON error response.

export interface HttpErrorOptions {
  /** Machine-readable detail under `error.details` (zod issues for a 400, `{limitBytes}` for a 413…). */
  details?: unknown;
  /** Top-level fields beside `error` (e.g. a claim conflict's `{ok: false, claimedBy}`). */
  extra?: Record<string, unknown>;
  /** Response headers (Retry-After, Allow, Connection: close…). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** A refusal with a status and a stable `code` callers switch on; turned into `{...extra, error: {code, message, details?}}`. */
export class HttpError extends Error {
  readonly details: unknown;
  readonly extra: Record<string, unknown> | undefined;
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: HttpErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HttpError";
    this.details = options.details;
    this.extra = options.extra;
    this.headers = options.headers ?? {};
  }
}

/** The JSON answer for an HttpError; `headers` are added under the error's own. */
export function errorResponse(e: HttpError, headers: Record<string, string> = {}): Response {
  const error: Record<string, unknown> = { code: e.code, message: e.message };
  if (e.details !== undefined) error.details = e.details;
  return Response.json({ ...e.extra, error }, { status: e.status, headers: { ...headers, ...e.headers } });
}

/**
 * The answer for anything a handler threw: an HttpError as itself; anything else is a bug, handed to `unexpected`
 * (to log it) and answered with a bare 500, since its message may carry internals.
 */
export function toErrorResponse(
  e: unknown,
  unexpected: (e: unknown) => void,
  headers: Record<string, string> = {},
): Response {
  if (e instanceof HttpError) return errorResponse(e, headers);
  unexpected(e);
  return errorResponse(new HttpError(500, "internal", "internal error"), headers);
}
