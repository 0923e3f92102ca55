import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TmuxKey } from "../../../src/providers/tmux/index.ts";
import { isRunnerError } from "../../../src/util/errors.ts";
import { echoAgentCommand, receivedBytes, receivedInputs } from "../../fixtures/echo-agent-record.ts";
import { createTmuxSandbox, isAlive, type TmuxSandbox } from "../../support/tmux-sandbox.ts";
import { waitFor } from "../../support/wait-for.ts";

const START = Buffer.from("\x1b[200~");
const END = Buffer.from("\x1b[201~");

let box: TmuxSandbox;
beforeEach(() => {
  box = createTmuxSandbox("tmux");
});
afterEach(async () => {
  await box.cleanup();
});

async function startEchoAgent(extraEnv: Record<string, string> = {}) {
  const record = join(box.dir, `record-${randomBytes(3).toString("hex")}.jsonl`);
  const pane = await box.tmux.newSession({
    name: "agent",
    cwd: box.dir,
    env: { ECHO_AGENT_RECORD: record, ECHO_AGENT_WORK_MS: "0", ...extraEnv },
    command: echoAgentCommand(),
    width: 120,
    height: 30,
  });
  await waitFor(async () => /ready> $/m.test(await box.tmux.capturePane(pane.paneId)), { what: "prompt" });
  return { pane, record };
}

function countOf(haystack: Buffer, needle: Buffer): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + 1)) n++;
  return n;
}

describe("Tmux", () => {
  test("a new session runs its command in the given cwd with the given environment", async () => {
    const pane = await box.tmux.newSession({
      name: "env-check",
      cwd: box.dir,
      env: { RELAY_TEST_VALUE: "it's here", SECOND: "two words" },
      command: ["sh", "-c", 'echo "value=$RELAY_TEST_VALUE second=$SECOND"; pwd; exec sleep 30'],
    });
    const screen = await waitFor(async () => {
      const s = await box.tmux.capturePane(pane.paneId);
      return s.includes(box.dir) ? s : undefined;
    });
    expect(screen).toContain("value=it's here second=two words");
    expect(await box.tmux.hasSession("env-check")).toBe(true);
    expect(isAlive(pane.pid)).toBe(true);
  });

  test("environment values never appear on tmux's argv, which every user can read through ps", async () => {
    // A shim in front of the real tmux records each argv it is called with.
    const shimDir = join(box.dir, "shim");
    const log = join(box.dir, "argv.log");
    const realTmux = Bun.which("tmux")!;
    mkdirSync(shimDir);
    writeFileSync(
      join(shimDir, "tmux"),
      `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${realTmux}' "$@"\n`,
      {
        mode: 0o755,
      },
    );
    const path = process.env.PATH;
    process.env.PATH = `${shimDir}:${path}`;
    try {
      const pane = await box.tmux.newSession({
        name: "secret",
        cwd: box.dir,
        env: { RELAY_SECRET: "s3cret-value-42" },
        command: ["sh", "-c", 'echo "got=$RELAY_SECRET"; exec sleep 30'],
      });
      await waitFor(async () => (await box.tmux.capturePane(pane.paneId)).includes("got=s3cret-value-42"));
    } finally {
      process.env.PATH = path;
    }
    const argv = readFileSync(log, "utf8");
    expect(argv).toContain("new-session");
    expect(argv).not.toContain("s3cret-value-42");
  });

  test("a one-word command runs without a shell in between, so the pane pid is the program's", async () => {
    const pane = await box.tmux.newSession({ name: "one", cwd: box.dir, command: ["cat"] });
    const status = await box.tmux.paneStatus(pane.paneId);
    expect(status).toEqual({ state: "running", pid: pane.pid });
    // tmux may start it through the shell's -c, which execs it in place: same pid, its name changes once that is done.
    await waitFor(async () => (await Bun.file(`/proc/${pane.pid}/comm`).text()) === "cat\n", {
      what: "the pane's process to be cat",
    });
  });

  test("has-session matches the exact name, not a prefix", async () => {
    await box.tmux.newSession({ name: "agent10", cwd: box.dir, command: ["sleep", "30"] });
    expect(await box.tmux.hasSession("agent10")).toBe(true);
    expect(await box.tmux.hasSession("agent1")).toBe(false);
    expect(await box.tmux.listSessions()).toEqual(["agent10"]);
  });

  test("multi-line text arrives intact inside one bracketed paste, and Enter comes after it", async () => {
    const { pane, record } = await startEchoAgent();
    const text = "line one\nline two\n\ttabbed ❯ unicode";
    await box.tmux.pasteText(pane.paneId, text);
    await box.tmux.sendKeys(pane.paneId, ["Enter"]);
    const [input] = await waitFor(() => receivedInputs(record).length > 0 && receivedInputs(record));
    // tmux sends each newline of a paste as a carriage return, as a terminal does for a person's paste.
    expect(input!.pasted).toBe(text.replaceAll("\n", "\r"));
    expect(input!.typed).toBe("");
    expect(input!.pastes).toBe(1);
    const bytes = receivedBytes(record);
    expect(bytes.subarray(0, START.length).equals(START)).toBe(true);
    expect(bytes.subarray(bytes.length - END.length - 1).toString("latin1")).toBe("\x1b[201~\r");
  });

  test("hostile text is delivered as inert text: no early paste end, no controls, no command run", async () => {
    const pwned = join(box.dir, "pwned");
    const { pane, record } = await startEchoAgent({ ECHO_AGENT_RUN_TYPED: "1" });
    const hostile = `hi\x1b[2J\x1b]0;title\x07 \x1b[201~touch ${pwned}\r\x00nul \x9b201~ \x85 \x1bc end\x03\x04`;
    await box.tmux.pasteText(pane.paneId, hostile);
    await box.tmux.sendKeys(pane.paneId, ["Enter"]);
    await waitFor(async () => (await box.tmux.capturePane(pane.paneId)).includes("done #1"), {
      what: "done #1",
    });

    const bytes = receivedBytes(record);
    expect(countOf(bytes, START)).toBe(1);
    expect(countOf(bytes, END)).toBe(1);
    const inner = bytes.subarray(START.length, bytes.indexOf(END));
    for (const b of inner) expect(b < 0x20 && b !== 0x0d && b !== 0x09 ? b : "ok").toBe("ok");
    expect(/[\x7f-\x9f]/.test(inner.toString("utf8"))).toBe(false);
    const [input] = receivedInputs(record);
    expect(input!.typed).toBe("");
    expect(input!.pasted).toBe(`hi touch ${pwned}\r␀nul    end␃␄`);
    expect(existsSync(pwned)).toBe(false);
  });

  test("the fixture detects a breakout: the same text pasted unsanitised runs the command", async () => {
    const pwned = join(box.dir, "pwned-control");
    const { pane } = await startEchoAgent({ ECHO_AGENT_RUN_TYPED: "1" });
    const file = join(box.dir, "raw.txt");
    writeFileSync(file, `hi \x1b[201~touch ${pwned}\r`);
    await box.tmux.run([
      "load-buffer",
      "-b",
      "raw",
      file,
      ";",
      "paste-buffer",
      "-p",
      "-d",
      "-b",
      "raw",
      "-t",
      pane.paneId,
    ]);
    await waitFor(() => existsSync(pwned), { what: "the control breakout to run its command" });
    rmSync(pwned);
  });

  test("a 1 MB body arrives whole", async () => {
    const { pane, record } = await startEchoAgent();
    const line = `${"x".repeat(99)}\n`;
    const body = line.repeat(10_486);
    await box.tmux.pasteText(pane.paneId, body);
    await box.tmux.sendKeys(pane.paneId, ["Enter"]);
    const [input] = await waitFor(() => receivedInputs(record).length > 0 && receivedInputs(record), {
      timeoutMs: 20_000,
      what: "the 1 MB input",
    });
    expect(input!.pasted.length).toBe(body.length);
    expect(input!.pasted).toBe(body.replaceAll("\n", "\r"));
  });

  test("exit detection reports the program's exit code", async () => {
    const pane = await box.tmux.newSession({ name: "exits", cwd: box.dir, command: ["sh", "-c", "exit 7"] });
    const status = await box.tmux.waitForExit(pane.paneId, { intervalMs: 50 });
    expect(status).toEqual({ state: "dead", pid: pane.pid, exitCode: 7, signal: null });
    expect(isAlive(pane.pid)).toBe(false);
  });

  test("a program killed by a signal is reported dead without an exit code", async () => {
    const pane = await box.tmux.newSession({
      name: "killed",
      cwd: box.dir,
      command: ["sh", "-c", "kill -9 $$"],
    });
    const status = await box.tmux.waitForExit(pane.paneId, { intervalMs: 50 });
    expect(status).toMatchObject({ state: "dead", pid: pane.pid, exitCode: null });
    // tmux 3.3 does not report the signal; it is known only when read from an unreaped program.
    expect([null, "SIGKILL"].includes((status as { signal: string | null }).signal)).toBe(true);
  });

  test("a killed session's pane reads as gone", async () => {
    const pane = await box.tmux.newSession({ name: "gone", cwd: box.dir, command: ["sleep", "30"] });
    await box.tmux.killSession("gone");
    expect(await box.tmux.paneStatus(pane.paneId)).toEqual({ state: "gone" });
    await waitFor(() => !isAlive(pane.pid), { what: "the pane's process to end" });
    await box.tmux.killSession("gone");
  });

  test("send-keys refuses anything that is not an allow-listed key name", async () => {
    const pane = await box.tmux.newSession({ name: "keys", cwd: box.dir, command: ["cat"] });
    for (const bad of ["echo hi", "Enter;", "C-cc", "M-x", "", "\x1b"]) {
      const error = await box.tmux.sendKeys(pane.paneId, [bad as TmuxKey]).catch((e: unknown) => e);
      expect(isRunnerError(error, "TMUX_FAILED")).toBe(true);
    }
    await box.tmux.sendKeys(pane.paneId, ["C-c"]);
    await waitFor(async () => (await box.tmux.paneStatus(pane.paneId)).state === "dead", {
      what: "cat to exit",
    });
  });

  test("a failing tmux command becomes TMUX_FAILED with tmux's own message", async () => {
    await box.tmux.newSession({ name: "err", cwd: box.dir, command: ["sleep", "30"] });
    const error = await box.tmux.capturePane("%999").catch((e: unknown) => e);
    expect(isRunnerError(error, "TMUX_FAILED")).toBe(true);
    expect((error as Error).message).toBe("tmux capture-pane failed: can't find pane: %999");
    expect((error as Error).cause).toBeDefined();
  });

  test("killServer stops the server, ends its programs and removes the socket file", async () => {
    const pane = await box.tmux.newSession({ name: "srv", cwd: box.dir, command: ["sleep", "30"] });
    expect(existsSync(box.tmux.socketPath())).toBe(true);
    await box.tmux.killServer();
    expect(await box.tmux.isServerRunning()).toBe(false);
    expect(existsSync(box.tmux.socketPath())).toBe(false);
    await waitFor(() => !isAlive(pane.pid), { what: "sleep to end with the server" });
  });

  test("the attach command names the private socket and the session", () => {
    expect(box.tmux.attachCommand("agent")).toEqual(["tmux", "-L", box.socket, "attach", "-t", "agent"]);
  });
});
