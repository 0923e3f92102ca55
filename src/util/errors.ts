// The runner's error hierarchy: one base class with a stable `code`, `cause` always chained.

export type RunnerErrorCode =
  | "CONFIG_INVALID"
  | "CLAIM_LOST"
  | "TOKEN_EXPIRED"
  | "PROVIDER_NOT_READY"
  | "PROVIDER_SPAWN_FAILED"
  | "PROVIDER_EXITED"
  | "DELIVERY_FAILED"
  | "DELIVERY_UNCONFIRMED"
  | "NOT_SUPPORTED"
  | "TIMEOUT"
  | "TMUX_FAILED"
  | "RELAY_UNAVAILABLE"
  | "ABORTED";

/** Base of every error hierarchy here (runner, relay client): a stable `code` to switch on, `cause` chained. */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CodedError";
    this.code = code;
  }
}

export class RunnerError extends CodedError<RunnerErrorCode> {
  constructor(code: RunnerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "RunnerError";
  }
}

export function isRunnerError(e: unknown, code?: RunnerErrorCode): e is RunnerError {
  return e instanceof RunnerError && (code === undefined || e.code === code);
}

/** A one-line description of any thrown value, for logs and command results. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
