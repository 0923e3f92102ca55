// A bench run on its own (`bun bench/<name>.ts`) merges its rows into the results file the full run writes.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { QUICK, type Row } from "./common.ts";

/** Put `rows` into the results file, replacing rows of the same name and keeping everyone else's. */
export function mergeIntoResults(rows: Row[]): string {
  const dir = join(import.meta.dir, "..", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, QUICK ? "quick.json" : "latest.json");
  const current = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as { rows?: Row[] } & Record<string, unknown>)
    : { date: new Date().toISOString(), rows: [] };
  const names = new Set(rows.map((r) => r.name));
  current.rows = [...(current.rows ?? []).filter((r) => !names.has(r.name)), ...rows];
  writeFileSync(file, `${JSON.stringify(current, null, 2)}\n`);
  return file;
}
