// ConfigError: a bad option value, as one line naming the option (flag and env), the rule and the bad value.
import { RunnerError } from "../util/errors.ts";

export class ConfigError extends RunnerError {
  /** The flag the error is about (e.g. "--approval-mode"), when it is about one option. */
  readonly option: string | undefined;
  constructor(message: string, options?: { option?: string; cause?: unknown }) {
    super("CONFIG_INVALID", message, options);
    this.name = "ConfigError";
    this.option = options?.option;
  }
}

export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError;
}
