#!/usr/bin/env node
// Runs before `npm start` / `npm test`: installs the project's dependencies (Bun included, from npm)
// on a fresh clone, and again whenever package-lock.json changed. Plain Node, no dependencies.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
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
