// A spawn's end: run once whoever notices it first, and `exited` resolves only after the cleanup finished.
import { describe, expect, test } from "bun:test";
import { endOnce } from "../../../src/providers/claude/watcher.ts";

describe("endOnce", () => {
  test("the first exit wins, the cleanup runs once, and exited resolves after it", async () => {
    const steps: string[] = [];
    let release = () => {};
    const cleanupDone = new Promise<void>((r) => {
      release = r;
    });
    const { end, exited } = endOnce(async () => {
      steps.push("cleanup");
      await cleanupDone;
      steps.push("cleaned");
    });
    void exited.then((e) => steps.push(`exited ${e.exitCode}`));
    const first = end({ exitCode: 0, signal: null });
    const second = end({ exitCode: null, signal: "SIGTERM" });
    expect(first).toBe(second);
    await Promise.resolve();
    expect(steps).toEqual(["cleanup"]);
    release();
    expect(await exited).toEqual({ exitCode: 0, signal: null });
    expect(steps).toEqual(["cleanup", "cleaned", "exited 0"]);
  });

  test("a failing cleanup still resolves exited: it never rejects", async () => {
    const { end, exited } = endOnce(async () => {
      throw new Error("tmux gone");
    });
    void end({ exitCode: null, signal: "unknown" });
    expect(await exited).toEqual({ exitCode: null, signal: "unknown" });
  });
});
