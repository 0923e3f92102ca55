// pino logging: JSON by default, pretty on a TTY, secrets redacted wherever they might appear.
import type { Logger } from "pino";

export type { Logger };

export const REDACT_PATHS = [
  "token",
  "*.token",
  "rootToken",
  "*.rootToken",
  "secret",
  "*.secret",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
];

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Write JSON lines to this file instead of stdout/stderr. */
  file?: string;
  /** Force pretty (true) or JSON (false); default: pretty when stderr is a TTY. */
  pretty?: boolean;
}

/**
 * pino is required here, when a logger that writes is made, not when this module loads: pino and the Node streams and
 * worker threads it pulls in are 4 MB of a runner's idle RSS, and a runner embedded without a logger never needs them.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const pino = require("pino") as typeof import("pino").default;
  // No env fallback here: AGENT_RELAY_LOG_LEVEL is read through the option table by the command that logs.
  const level = options.level ?? "info";
  const base = { level, name: options.name, redact: { paths: REDACT_PATHS, censor: "[redacted]" } };
  if (options.file) {
    return pino(base, pino.destination({ dest: options.file, mkdir: true, sync: false }));
  }
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  if (pretty) {
    return pino(
      base,
      pino.transport({
        target: "pino-pretty",
        options: { destination: 2, colorize: true, translateTime: "HH:MM:ss.l" },
      }),
    );
  }
  // Synchronous on stderr: log volume is low and nothing may be lost when the process exits.
  return pino(base, pino.destination({ dest: 2, sync: true }));
}

const drop = (): void => {};

/** A logger that drops everything (tests, benchmarks, an embedded runner given none), without loading pino. */
export function silentLogger(): Logger {
  const logger = {
    level: "silent",
    fatal: drop,
    error: drop,
    warn: drop,
    info: drop,
    debug: drop,
    trace: drop,
    silent: drop,
    flush: drop,
    child: () => logger,
    bindings: () => ({}),
    isLevelEnabled: () => false,
  };
  return logger as unknown as Logger;
}
