// The first hour: --help lists the subcommands, `help <cmd> <sub>` shows one, a mistyped command gets a suggestion.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "./run-cli.ts";

setDefaultTimeout(25_000);
const env = { HOME: mkdtempSync(join(tmpdir(), "cli-help-")) };

describe("help and mistyped commands", () => {
  test("--help lists every subcommand above the runner's options", async () => {
    const out = await runCli(["--help"], { env });
    expect(out.code).toBe(0);
    const commands = out.stdout.indexOf("Commands");
    expect(commands).toBeGreaterThan(-1);
    expect(commands).toBeLessThan(out.stdout.indexOf("Options:"));
    for (const name of [
      "relay",
      "send",
      "inbox",
      "thread",
      "msg",
      "task",
      "command",
      "agents",
      "permissions",
      "approve",
      "deny",
      "stop",
      "compact",
      "clear",
      "whoami",
      "token",
      "demo",
    ]) {
      expect(out.stdout).toMatch(new RegExp(`\\n  ${name} +\\S`));
    }
    expect(out.stdout).toContain("--provider");
  });

  test("help <cmd> <sub> prints that sub-command's own help", async () => {
    const out = await runCli(["help", "msg", "read"], { env });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("Usage: agent-relay-runner msg read");
    expect(out.stdout).toContain("<id>");
  });

  test("a mistyped command exits 2 with one line suggesting the nearest one", async () => {
    const out = await runCli(["sned", "--to", "bob", "hi"], { env });
    expect(out.code).toBe(2);
    expect(out.stderr.trim().split("\n")).toEqual([
      "agent-relay-runner: unknown command 'sned' (did you mean 'send'?); see agent-relay-runner --help",
    ]);
    const sub = await runCli(["help", "msg", "raed"], { env });
    expect(sub.code).toBe(2);
    expect(sub.stderr.trim()).toBe("agent-relay-runner help: no command 'msg raed' (did you mean 'read'?)");
  });

  test("a word far from every command gets no suggestion, still one line and exit 2", async () => {
    const out = await runCli(["zzzzzz"], { env });
    expect(out.code).toBe(2);
    expect(out.stderr.trim()).toBe(
      "agent-relay-runner: unknown command 'zzzzzz'; see agent-relay-runner --help",
    );
  });
});
