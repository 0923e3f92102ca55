#!/usr/bin/env node
// Runs before `npm start` / `npm test`: installs the project's dependencies (Bun included, from npm)
// on a fresh clone, and again whenever package-lock.json changed; then bundles the CLI into dist/ when a source is
// newer than the bundle (the launcher would run src/ otherwise). Plain Node, no dependencies.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const lock = join(root, "package-lock.json");
const stamp = join(root, "node_modules", ".agent-relay-deps");
const want = createHash("sha256").update(readFileSync(lock)).digest("hex");
const have = existsSync(stamp) ? readFileSync(stamp, "utf8").trim() : "";

if (have !== want || !existsSync(join(root, "node_modules", ".bin", "bun"))) {
  console.error("agent-relay-runner: installing dependencies from npm (Bun included)…");
  // `npm install`, not `npm ci`: npm 11 omits other platforms' optional packages from the lock file and `npm ci`
  // then refuses it as out of sync (npm/cli#4828); install follows the lock and tolerates that.
  const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: root,
    stdio: "inherit",
  });
  if (r.status !== 0) {
    console.error("agent-relay-runner: npm install failed; see the output above.");
    process.exit(r.status ?? 1);
  }
  writeFileSync(stamp, `${createHash("sha256").update(readFileSync(lock)).digest("hex")}\n`);
}

if (spawnSync("tmux", ["-V"], { stdio: "ignore" }).status !== 0) {
  console.error(
    "agent-relay-runner: tmux is not installed; the command and claude providers need it " +
      "(Debian/Ubuntu: apt-get install -y tmux; macOS: brew install tmux).",
  );
}

/** The newest mtime under `dir` (ms), or 0 when it is missing. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((f) => newest(join(path, f))));
}

const built = join(root, "dist", "BUILT");
const inputs = [
  join(root, "src"),
  join(root, "package.json"),
  join(root, "node_modules", ".package-lock.json"),
];
if (!existsSync(built) || Math.max(...inputs.map(newest)) > statSync(built).mtimeMs) {
  const r = spawnSync(join(root, "node_modules", ".bin", "bun"), [join(root, "scripts", "build.ts")], {
    cwd: root,
    stdio: "inherit",
  });
  // Not fatal: the launcher runs the sources when the bundle is missing or stale.
  if (r.status !== 0) console.error("agent-relay-runner: bundling dist/ failed; running from src/ instead.");
}
