// `bun run bench`: every benchmark in turn, a table on stdout, and bench/results/latest.json ({name, value, unit, baseline, ratio} rows).
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { claudeLatencyBench } from "./claude-latency.ts";
import { codexLatencyBench } from "./codex-latency.ts";
import { durabilityBench } from "./durability.ts";
import { fleetBench } from "./fleet.ts";
import { footprintBench } from "./footprint.ts";
import { latencyBench } from "./latency.ts";
import { postgresBench } from "./postgres.ts";
import { recoveryBench } from "./recovery.ts";
import { startupBench } from "./startup.ts";
import { QUICK, type Row, say } from "./support/common.ts";
import { prepareShippedRunner } from "./support/proc.ts";
import { teamBench } from "./team.ts";
import { terminalBench } from "./terminal.ts";
import { throughputBench } from "./throughput.ts";

const BENCHES: [string, () => Promise<Row[]>][] = [
  ["latency", latencyBench],
  ["throughput", throughputBench],
  ["durability", durabilityBench],
  ["footprint", footprintBench],
  ["startup", startupBench],
  ["recovery", recoveryBench],
  ["terminal", terminalBench],
  ["claude-latency", claudeLatencyBench],
  ["codex-latency", codexLatencyBench],
  ["team", teamBench],
  ["fleet", fleetBench],
  ["postgres", postgresBench],
];

function table(rows: Row[]): string {
  const head = ["figure", "value", "floor", "ratio", "target", "met"];
  const body = rows.map((r) => [
    r.name,
    `${r.value} ${r.unit}`,
    `${r.baseline} ${r.unit}`,
    `${r.ratio}×`,
    r.target ?? "",
    r.met === undefined ? "" : r.met ? "yes" : "NO",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}

// Which code was measured: the commit, and whether src/ had uncommitted changes (the tree is shared).
const git = (args: string[]) =>
  Bun.spawnSync(["git", ...args], { cwd: import.meta.dir })
    .stdout.toString()
    .trim();
const commit = `${git(["rev-parse", "--short", "HEAD"])}${git(["status", "--porcelain", "--", "../src"]) ? " + uncommitted src/ changes" : ""}`;
const only = process.argv.slice(2);
const loadBefore = loadavg()[0]!.toFixed(2);
const started = performance.now();
// The runner as it ships: bundled (dist/ for the CLI, the same build of runner-process.ts for the null runner).
await prepareShippedRunner();
const rows: Row[] = [];
const failures: string[] = [];
for (const [name, bench] of BENCHES) {
  if (only.length > 0 && !only.includes(name)) continue;
  say(`── ${name}${QUICK ? " (quick)" : ""}`);
  const t = performance.now();
  try {
    rows.push(...(await bench()));
  } catch (e) {
    failures.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    say(`${name} FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  say(`   (${((performance.now() - t) / 1000).toFixed(1)} s)`);
}
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Bun ${Bun.version}`;
// Other work on the machine moves every absolute figure; the load average says how much there was.
const load = `1-min load average ${loadBefore} at start, ${loadavg()[0]!.toFixed(2)} at end`;
const result = { date: new Date().toISOString(), machine, load, commit, quick: QUICK, rows, failures };
const dir = join(import.meta.dir, "results");
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, QUICK ? "quick.json" : "latest.json"), `${JSON.stringify(result, null, 2)}\n`);
say(
  `\n${result.date} — ${machine} — ${load} — code ${commit}${QUICK ? " — QUICK run, figures not meaningful" : ""}\n`,
);
say(table(rows));
say(
  `\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s${failures.length ? `; FAILED: ${failures.join("; ")}` : ""}`,
);
process.exit(failures.length > 0 ? 1 : 0);
