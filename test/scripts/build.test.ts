import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { bundle } from "../../scripts/build.ts";

const REPO = join(import.meta.dir, "..", "..");
// Inside the package, as dist/ is: the bundle finds the package root (plugins/, node_modules/) by walking up.
mkdirSync(join(REPO, "node_modules", ".cache"), { recursive: true });
const out = mkdtempSync(join(REPO, "node_modules", ".cache", "build-test-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const cli = (entry: string, args: string[]) => {
  const r = Bun.spawnSync([process.execPath, entry, ...args], { cwd: REPO, stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
};

describe("scripts/build.ts", () => {
  test("the bundled CLI answers as the sources do, lazily loaded command groups included", async () => {
    await bundle(join(REPO, "src", "cli", "main.ts"), out);
    for (const args of [["--version"], ["help", "task", "create"], ["sned"], ["--provider", "nosuch"]]) {
      const bundled = cli(join(out, "main.js"), args);
      const source = cli(join(REPO, "src", "cli", "main.ts"), args);
      expect({ args, ...bundled }).toEqual({ args, ...source });
    }
  });
});
