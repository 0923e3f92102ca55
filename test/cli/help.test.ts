// The first hour: --help lists the subcommands, `help <cmd> <sub>` shows one, a mistyped command gets a suggestion.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
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
      "attach",
      "logs",
      "restart",
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

describe("failures are one line, never a stack trace", () => {
  test("a HOME that cannot hold ~/.agent-relay: the runner, the relay and the messaging CLI each say so in one line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-home-file-"));
    const homeFile = join(dir, "not-a-directory");
    writeFileSync(homeFile, "x");
    const bad = { HOME: homeFile };
    for (const args of [
      ["--provider", "command", "--agent-id", "ro-home", "--", "true"],
      ["relay", "--port", "0"],
      ["inbox", "--agent", "ro-home"],
    ]) {
      const out = await runCli(args, { env: bad });
      expect(out.code, args.join(" ")).not.toBe(0);
      const lines = out.stderr.trim().split("\n");
      expect(lines, out.stderr).toHaveLength(1);
      expect(lines[0]).toStartWith("agent-relay-runner");
      expect(lines[0]).toContain(`${homeFile}/.agent-relay`);
      expect(out.stderr).not.toContain("    at ");
    }
  });
});
