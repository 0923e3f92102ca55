import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REPO = join(import.meta.dir, "..", "..");

// A package laid out like this one, whose src/ and dist/ entries only say which of them ran.
describe("bin/agent-relay-runner", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "launcher-"));
    for (const d of ["bin", "src/cli", "dist", "node_modules/.bin"])
      mkdirSync(join(root, d), { recursive: true });
    copyFileSync(join(REPO, "bin", "agent-relay-runner"), join(root, "bin", "agent-relay-runner"));
    symlinkSync(process.execPath, join(root, "node_modules", ".bin", "bun"));
    writeFileSync(join(root, "package.json"), '{"name":"agent-relay-runner"}\n');
    writeFileSync(
      join(root, "src", "cli", "main.ts"),
      'console.log("src", process.argv.slice(2).join(" "));\n',
    );
    writeFileSync(join(root, "dist", "main.js"), 'console.log("dist", process.argv.slice(2).join(" "));\n');
    // Everything older than the bundle's stamp, as after a build.
    const past = new Date(Date.now() - 60_000);
    for (const f of ["package.json", "src/cli/main.ts", "src/cli", "src"])
      utimesSync(join(root, f), past, past);
    writeFileSync(join(root, "dist", "BUILT"), "now\n");
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const run = () => {
    const r = Bun.spawnSync([join(root, "bin", "agent-relay-runner"), "a", "b c"], { stderr: "pipe" });
    return r.stdout.toString().trim();
  };

  test("runs the bundle when nothing is newer than its stamp, passing the arguments through", () => {
    expect(run()).toBe("dist a b c");
  });

  test("runs the sources once any source file is newer than the bundle", () => {
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(root, "src", "cli", "main.ts"), future, future);
    expect(run()).toBe("src a b c");
  });

  test("runs the sources when the bundle was never finished (no stamp)", () => {
    rmSync(join(root, "dist", "BUILT"));
    expect(run()).toBe("src a b c");
  });
});
