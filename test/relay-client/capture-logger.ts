// A pino logger that keeps its records in memory, so tests can assert what was (and was not) logged.
import pino from "pino";
import type { Logger } from "../../src/util/logger.ts";

export interface LogRecord {
  level: number;
  msg: string;
  kind?: string;
  [key: string]: unknown;
}

export function captureLogger(): { logger: Logger; records: LogRecord[]; text: () => string } {
  const records: LogRecord[] = [];
  const lines: string[] = [];
  const logger = pino(
    { level: "debug" },
    {
      write(line: string) {
        lines.push(line);
        records.push(JSON.parse(line) as LogRecord);
      },
    },
  );
  return { logger, records, text: () => lines.join("") };
}
