// Runs the test files in parallel, one `bun test` process per file, slowest first, and prints one summary.
// Most slow files wait on real processes (tmux, the Claude and Codex CLIs, relays), not on the CPU, so a small pool
// cuts the wall time without starving them. TEST_JOBS sets the pool size; file times are kept between runs in
// node_modules/.cache so the slowest files start first.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";

const root = join(import.meta.dir, "..");
const timesFile = join(root, "node_modules", ".cache", "agent-relay-test-times.json");
// Paths under test/ choose the files; everything else (e.g. `--timeout 30000`) goes to each `bun test`.
const args = process.argv.slice(2);
const isPath = (a: string) => a.startsWith("test/") || a === "test";
const bunArgs = args.filter((a) => !isPath(a));
const filters = args.filter(isPath);
// Three at a time on the 2-core machine: 1,001 tests in 269 s, against 497 s one file after another.
const jobs = Number(process.env.TEST_JOBS) || Math.max(3, Math.min(4, availableParallelism()));

// Before the first run has timed them: the folders known to be slow go first.
const FOLDER_WEIGHT: Array<[string, number]> = [
  ["test/e2e/", 60],
  ["test/providers/claude/", 30],
  ["test/chaos/", 20],
  ["test/supervisor/", 15],
  ["test/security/", 10],
  ["test/providers/codex/", 8],
  ["test/runner/", 5],
];

function loadTimes(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(timesFile, "utf8")) as Record<string, number>;
  } catch {
    return {};
  }
}

interface FileResult {
  file: string;
  pass: number;
  fail: number;
  ms: number;
  exitCode: number;
  /** Each failing test's name with the first lines of its error, for the summary CI shows. */
  failures: string[];
}

// Bun prints a failing test's error above its `(fail)` line: keep the name and the error's first lines.
export function failureDigests(text: string, linesEach = 6): string[] {
  const lines = text.split("\n");
  const digests: string[] = [];
  let blockStart = 0;
  lines.forEach((line, i) => {
    if (/^\((pass|skip|todo)\)/.test(line)) blockStart = i + 1;
    if (!line.startsWith("(fail)")) return;
    const error = lines
      .slice(blockStart, i)
      .filter(
        (l) =>
          /\S/.test(l) &&
          !/^\s*at /.test(l) &&
          !/^bun test v|\.test\.[jt]s:$/.test(l.trim()) &&
          !/^\d+ \|/.test(l.trim()) &&
          !/^\s*\^\s*$/.test(l),
      )
      .slice(0, linesEach)
      .map((l) => `    ${l.trim().slice(0, 160)}`);
    digests.push([`  ${line.slice(0, 200)}`, ...error].join("\n"));
    blockStart = i + 1;
  });
  return digests;
}

async function runFile(file: string): Promise<FileResult> {
  const started = performance.now();
  const proc = Bun.spawn([process.execPath, "test", ...bunArgs, file], {
    cwd: root,
    stdout: "pipe",
    stderr: "pipe",
    env: process.env,
  });
  const [out, err, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  const ms = performance.now() - started;
  const text = `${out}${err}`;
  const count = (word: string) => Number(text.match(new RegExp(`^\\s*(\\d+) ${word}$`, "m"))?.[1] ?? 0);
  const pass = count("pass");
  // A file that crashed before reporting counts as one failure.
  const fail = count("fail") || (exitCode !== 0 ? 1 : 0);
  process.stdout.write(`\n── ${file} (${(ms / 1000).toFixed(1)} s, exit ${exitCode})\n${text}`);
  return { file, pass, fail, ms, exitCode, failures: failureDigests(text) };
}

async function main(): Promise<number> {
  const glob = new Bun.Glob("test/**/*.test.ts");
  const all = [...glob.scanSync({ cwd: root })].sort();
  const files = filters.length ? all.filter((f) => filters.some((p) => f.startsWith(p))) : all;
  const times = loadTimes();
  const weight = (f: string) => times[f] ?? (FOLDER_WEIGHT.find(([p]) => f.startsWith(p))?.[1] ?? 1) * 1000;
  const queue = [...files].sort((a, b) => weight(b) - weight(a));
  const started = performance.now();
  const results: FileResult[] = [];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift())
      results.push(await runFile(file));
  };
  await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, worker));

  for (const r of results) times[r.file] = Math.round(r.ms);
  try {
    mkdirSync(dirname(timesFile), { recursive: true });
    writeFileSync(timesFile, JSON.stringify(times));
  } catch {
    // Only an ordering hint: a read-only node_modules changes nothing else.
  }
  const pass = results.reduce((n, r) => n + r.pass, 0);
  const fail = results.reduce((n, r) => n + r.fail, 0);
  const failed = results.filter((r) => r.fail > 0 || r.exitCode !== 0);
  const wall = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`\n══ ${files.length} files, ${jobs} at a time, ${wall} s\n`);
  for (const r of failed) {
    process.stdout.write(`FAILED ${r.file} (${r.fail} failing)\n`);
    for (const digest of r.failures) process.stdout.write(`${digest}\n`);
  }
  // The same closing lines `bun test` prints, so whatever reads them (.ci/run) reads these.
  process.stdout.write(
    ` ${pass} pass\n ${fail} fail\nRan ${pass + fail} tests across ${files.length} files. [${wall}s]\n`,
  );
  return failed.length > 0 ? 1 : 0;
}

if (import.meta.main) process.exit(await main());
