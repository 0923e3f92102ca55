// Durations as people write them on command lines and in team files: `90s`, `30m`, `2h`, `1d`, `500ms`.
import { z } from "zod";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of `<n><unit>` (ms, s, m, h, d; a bare number is seconds), or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d{1,9})\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] ?? "s"]!;
}

/** A duration string (or a number of ms, already parsed) as milliseconds within [minMs, maxMs]. */
export function durationMs(minMs: number, maxMs: number) {
  const rule = `expected a duration like 90s, 10m or 2h (${minMs / 1000}s to ${maxMs / 3_600_000}h)`;
  return z.preprocess(
    (v) => (typeof v === "string" ? (parseDuration(v) ?? Number.NaN) : v),
    z.number({ error: rule }).int({ error: rule }).min(minMs, { error: rule }).max(maxMs, { error: rule }),
  );
}
