// The README's first command (`npm start` → `agent-relay-runner demo`) keeps working: a message goes in, the agent shows it.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

setDefaultTimeout(60_000);
const BIN = resolve(import.meta.dir, "../../bin/agent-relay-runner");

describe("agent-relay-runner demo", () => {
  test("runs the embedded relay and a runner, and the terminal agent shows the message it was sent", async () => {
    const home = mkdtempSync(join(tmpdir(), "demo-home-"));
    try {
      const proc = Bun.spawn([BIN, "demo"], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home },
        stdout: "pipe",
        stderr: "pipe",
      });
      const timer = setTimeout(() => proc.kill("SIGKILL"), 50_000);
      const [out, err, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      clearTimeout(timer);
      expect(code, `stderr: ${err}`).toBe(0);
      expect(out).toContain("demo-agent received message 1:");
      expect(out).toContain("| Hello from the relay!");
      // It answers through the relay: the reply reaches the sender, and the agent's screen says so.
      expect(out).toMatch(
        /the agent replied with message #2 to root: "demo-agent got your message: Hello from the relay!"/,
      );
      expect(out).toContain("demo-agent replied to root with message #2");
      expect(out).toMatch(/message #1 is marked read by demo on the relay/);
      // The demo cleans up after itself: its tmux server is gone.
      const socket = out.match(/on socket "([^"]+)"/)?.[1];
      expect(socket).toBeDefined();
      const ls = Bun.spawnSync(["tmux", "-L", socket!, "ls"]);
      expect(ls.exitCode).not.toBe(0);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
