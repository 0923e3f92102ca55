// The relay command's start-up failures: one line naming what failed, exit 1, never a stack trace.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnRelayProcess } from "../support/relay-process.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempHome(): string {
  const dir = mkdtempSync(join(tmpdir(), "relay-err-"));
  dirs.push(dir);
  return dir;
}

async function failingStart(args: string[], home: string) {
  const child = spawnRelayProcess(args, { HOME: home });
  const code = await Promise.race([child.exited, Bun.sleep(10_000).then(() => "still running")]);
  await child.kill();
  return { code, stderr: child.stderr() };
}

describe("relay start-up errors", () => {
  test("a file that is not a database: one line with its path, exit 1", async () => {
    const home = tempHome();
    const path = join(home, "notes.db");
    writeFileSync(path, "these are my notes, not a database\n".repeat(100));
    const r = await failingStart(["--port", "0", "--db", path], home);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `agent-relay-runner relay: cannot open the relay database ${path}: file is not a database`,
    );
  });

  test("a database path that cannot be created: one line naming it, exit 1", async () => {
    const home = tempHome();
    const blocker = join(home, "file");
    writeFileSync(blocker, "x");
    const path = join(blocker, "sub", "relay.db");
    const r = await failingStart(["--port", "0", "--db", path], home);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toStartWith(`agent-relay-runner relay: cannot open the relay database ${path}: `);
  });
});
