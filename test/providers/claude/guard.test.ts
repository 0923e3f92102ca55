// The plugin's PreToolUse guard: destructive commands are refused before Claude runs them; ordinary work passes.
import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { refusal } from "../../../plugins/claude/hooks/guard.mjs";

const CWD = "/work/project";
const HOOK = resolve(import.meta.dir, "../../../plugins/claude/hooks/relay-hook.mjs");

describe("PreToolUse guard", () => {
  test.each([
    "git push --force origin main",
    "git push -f origin master",
    "git push origin +main",
    "git push --force-with-lease origin HEAD:main",
    "cd repo && git push -f origin main",
  ])("refuses a force push to the main branch: %s", (command) => {
    expect(refusal(command, CWD)).toContain("force-pushing the main branch");
  });

  test.each([
    "rm -rf /",
    "rm -rf ~",
    "rm -rf ~/src",
    "rm -rf $HOME/x",
    "rm -fr ../other",
    "rm -r -f /etc",
    "rm --recursive --force /work",
    "ls && rm -Rf /work/project",
    "rm -rf .",
  ])("refuses a recursive delete reaching outside the working tree: %s", (command) => {
    expect(refusal(command, CWD)).toContain("recursive delete outside the working tree");
  });

  test.each([
    "git push origin feature-x",
    "git push --force origin feature-x",
    "git push origin main",
    "rm -rf build dist",
    "rm -rf ./node_modules /work/project/tmp",
    "rm -f /tmp/file.txt",
    "echo 'rm -rf /' > notes.txt",
    "\"$AGENT_RELAY_BIN\" msg reply 4 'done'",
  ])("lets ordinary work through: %s", (command) => {
    expect(refusal(command, CWD)).toBeUndefined();
  });

  test("the hook prints a deny decision for a destructive Bash call, even with no runner to ask", async () => {
    const payload = {
      hook_event_name: "PreToolUse",
      session_id: "s1",
      cwd: CWD,
      tool_name: "Bash",
      tool_input: { command: "rm -rf /" },
    };
    const proc = Bun.spawn([process.execPath, HOOK, "PreToolUse"], {
      stdin: new TextEncoder().encode(JSON.stringify(payload)),
      stdout: "pipe",
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    });
    const out = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    const decision = JSON.parse(out).hookSpecificOutput;
    expect(decision.permissionDecision).toBe("deny");
    expect(decision.permissionDecisionReason).toContain("outside the working tree");
  });
});
