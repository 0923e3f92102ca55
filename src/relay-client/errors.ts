// The relay client's error hierarchy: one base with a stable `code`, one subclass per way a call can fail.
import { CodedError } from "../util/errors.ts";

/** Base of every error the relay client throws; `code` is stable and safe to switch on. */
export class RelayClientError extends CodedError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "RelayClientError";
  }
}

/** The relay answered with a non-2xx status; `code` is the relay's error slug (e.g. `forbidden`). */
export class HttpError extends RelayClientError {
  readonly status: number;
  readonly details: unknown;
  /** Method and path of the request (never the query's secrets: the client sends none there). */
  readonly request: string;
  /** The relay's own message, without the "relay answered …" prefix. */
  readonly relayMessage: string;
  constructor(status: number, code: string, relayMessage: string, request: string, details?: unknown) {
    super(code, `relay answered ${status} ${code}: ${relayMessage}`);
    this.name = "HttpError";
    this.status = status;
    this.details = details;
    this.request = request;
    this.relayMessage = relayMessage;
  }
}

export type UnavailableReason = "network" | "timeout";

/** The relay could not be reached or did not answer in time; the original error is `cause`. */
export class RelayUnavailableError extends RelayClientError {
  readonly reason: UnavailableReason;
  constructor(reason: UnavailableReason, message: string, options?: { cause?: unknown }) {
    super("RELAY_UNAVAILABLE", message, options);
    this.name = "RelayUnavailableError";
    this.reason = reason;
  }
}

/** The relay answered something that does not fit the protocol (bad JSON, wrong shape). */
export class RelayProtocolError extends RelayClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("RELAY_PROTOCOL", message, options);
    this.name = "RelayProtocolError";
  }
}

/** An answer body was larger than the caller allowed; the download was cut off. */
export class ResponseTooLargeError extends RelayClientError {
  readonly limitBytes: number;
  constructor(limitBytes: number, request: string) {
    super("RESPONSE_TOO_LARGE", `${request}: answer exceeds ${limitBytes} bytes`);
    this.name = "ResponseTooLargeError";
    this.limitBytes = limitBytes;
  }
}

/** The caller's AbortSignal fired; `cause` is the signal's reason. */
export class RelayAbortedError extends RelayClientError {
  constructor(request: string, options?: { cause?: unknown }) {
    super("ABORTED", `${request}: aborted`, options);
    this.name = "RelayAbortedError";
  }
}

export function isRelayClientError(e: unknown, code?: string): e is RelayClientError {
  return e instanceof RelayClientError && (code === undefined || e.code === code);
}

/** True for an HttpError, optionally only for one status (e.g. `isHttpError(e, 404)`). */
export function isHttpError(e: unknown, status?: number): e is HttpError {
  return e instanceof HttpError && (status === undefined || e.status === status);
}
