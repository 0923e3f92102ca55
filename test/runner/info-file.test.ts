import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  InfoFileError,
  RunnerInfoFile,
  readRunnerInfoFile,
  writeRunnerInfoFile,
} from "../../src/runner/info-file.ts";
import { ManualClock } from "../support/manual-clock.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "info-file-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = {
  agentId: "a1",
  runnerId: "r1",
  provider: "command",
  controlUrl: "http://127.0.0.1:4567",
  pid: 1234,
  tmuxSession: "ar-r1",
  tmuxSocket: "ar-r1-sock",
  startedAt: 1_700_000_000_000,
};

describe("runner info file", () => {
  test("is written as JSON with mode 0600, creating its folder", async () => {
    const clock = new ManualClock();
    const path = join(dir, "nested/deeper/info.json");
    const file = new RunnerInfoFile(path, clock);
    await file.write(base);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await readRunnerInfoFile(path)).toEqual({ ...base, updatedAt: clock.now() });
  });

  test("an update after spawn rewrites it with the provider session and a new updatedAt", async () => {
    const clock = new ManualClock();
    const path = join(dir, "update.json");
    const file = new RunnerInfoFile(path, clock);
    await file.write(base);
    await clock.advance(1500);
    await file.update({ providerSessionId: "sess-uuid", pid: 999 });
    const info = await readRunnerInfoFile(path);
    expect(info).toEqual({ ...base, pid: 999, providerSessionId: "sess-uuid", updatedAt: clock.now() });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  test("replaces a looser pre-existing file with a 0600 one and leaves no temp files behind", async () => {
    const path = join(dir, "replace.json");
    writeFileSync(path, "old", { mode: 0o644 });
    await writeRunnerInfoFile(path, { ...base, updatedAt: 1 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  test("updates issued back to back land in order", async () => {
    const path = join(dir, "order.json");
    const file = new RunnerInfoFile(path, new ManualClock());
    await file.write(base);
    const writes = Array.from({ length: 20 }, (_, i) => file.update({ pid: i }));
    await Promise.all(writes);
    expect((await readRunnerInfoFile(path)).pid).toBe(19);
  });

  test("remove deletes the file, and removing twice is fine", async () => {
    const path = join(dir, "remove.json");
    const file = new RunnerInfoFile(path, new ManualClock());
    await file.write(base);
    await file.remove();
    await file.remove();
    expect(() => statSync(path)).toThrow();
  });

  test("a write into an unwritable place fails with the path named", async () => {
    const blocker = join(dir, "blocker");
    writeFileSync(blocker, "");
    const error = await writeRunnerInfoFile(join(blocker, "info.json"), { ...base, updatedAt: 1 }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(InfoFileError);
    expect((error as Error).message).toContain(join(blocker, "info.json"));
  });

  test("updating before the first write is a programming error", () => {
    expect(() => new RunnerInfoFile(join(dir, "x.json")).update({ pid: 1 })).toThrow(InfoFileError);
  });
});
