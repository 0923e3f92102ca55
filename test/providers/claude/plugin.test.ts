// The relay plugin: Claude's own validator accepts it, and its hook script never blocks Claude without a runner.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { execa } from "execa";
import { ControlServer } from "../../../src/control/index.ts";
import type { ControlEvent } from "../../../src/control/schemas.ts";
import { CLAUDE_BIN, FAKE_RELAY_CLI, PLUGIN_DIR } from "./harness.ts";

const HOOK = join(PLUGIN_DIR, "hooks", "relay-hook.sh");

function runHook(event: string, payload: unknown, env: Record<string, string>) {
  return execa(HOOK, [event], {
    input: JSON.stringify(payload),
    env: { PATH: process.env.PATH ?? "", ...env },
    extendEnv: false,
    reject: false,
    timeout: 10_000,
  });
}

describe("plugins/claude", () => {
  test("claude plugin validate accepts it and sees the hooks, the monitor and the three skills", async () => {
    const r = await execa(CLAUDE_BIN, ["plugin", "validate", PLUGIN_DIR], {
      reject: false,
      env: { DISABLE_AUTOUPDATER: "1", DISABLE_TELEMETRY: "1" },
      timeout: 20_000,
    });
    expect(r.exitCode).toBe(0);
    // Clean: no manifest or hooks warnings (the catalog-only "plugin directory" icon note does not count).
    expect(r.stdout).toContain("✔ Validation passed");
    expect(r.stdout).not.toContain("Validation passed with warnings");
    for (const part of [
      "monitors: relay-inbox",
      "skills: agent-relay:reply",
      "skills: agent-relay:react",
      "skills: agent-relay:read-message",
    ]) {
      expect(r.stdout).toContain(part);
    }
    for (const event of [
      "SessionStart",
      "UserPromptSubmit",
      "Stop",
      "StopFailure",
      "PermissionRequest",
      "SessionEnd",
    ]) {
      expect(r.stdout).toContain(`relay-hook.sh ${event}`);
    }
  }, 30_000);

  test("with the runner gone, a hook exits 0 at once with no output", async () => {
    const r = await runHook(
      "Stop",
      { hook_event_name: "Stop", session_id: "s" },
      {
        AGENT_RELAY_CONTROL_URL: "http://127.0.0.1:9",
        AGENT_RELAY_CONTROL_SECRET: "x",
      },
    );
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("");
  }, 15_000);

  test("a hook forwards its payload to the control server with the secret and the provider session", async () => {
    const control = new ControlServer();
    control.start();
    const seen: ControlEvent[] = [];
    control.onControlEvent((e) => seen.push(e));
    try {
      const r = await runHook(
        "UserPromptSubmit",
        { hook_event_name: "UserPromptSubmit", session_id: "s1", prompt: "hi" },
        {
          ...control.childEnv("psid-7"),
        },
      );
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe("");
      expect(seen).toContainEqual(
        expect.objectContaining({
          type: "hook.received",
          providerSessionId: "psid-7",
        }) as unknown as ControlEvent,
      );
    } finally {
      await control.stop();
    }
  }, 15_000);

  test("the statusLine command hands the session's cost to the control server and prints nothing", async () => {
    const control = new ControlServer();
    control.start();
    const seen: ControlEvent[] = [];
    control.onControlEvent((e) => seen.push(e));
    const status = (env: Record<string, string>, payload: unknown) =>
      execa(join(PLUGIN_DIR, "hooks", "relay-status.sh"), [], {
        input: JSON.stringify(payload),
        env: { PATH: process.env.PATH ?? "", ...env },
        extendEnv: false,
        reject: false,
        timeout: 10_000,
      });
    try {
      const r = await status(control.childEnv("psid-9"), {
        session_id: "s9",
        cost: { total_cost_usd: 0.0125 },
      });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe("");
      expect(seen).toContainEqual({
        type: "status-line.received",
        providerSessionId: "psid-9",
        costUsd: 0.0125,
      });
      // A wrong secret is refused by the control server: nothing arrives.
      const before = seen.length;
      const env = { ...control.childEnv("psid-9"), AGENT_RELAY_CONTROL_SECRET: "not-the-secret" };
      expect((await status(env, { session_id: "s9", cost: { total_cost_usd: 9 } })).exitCode).toBe(0);
      expect(seen.length).toBe(before);
      // The runner gone: still quiet and quick.
      const gone = await status({}, { session_id: "s9" });
      expect(gone.exitCode).toBe(0);
      expect(gone.stdout).toBe("");
    } finally {
      await control.stop();
    }
  }, 15_000);

  test("PreToolUse approves exactly the relay CLI with literal arguments, and nothing that could expand", async () => {
    const decide = async (command: string) => {
      const r = await runHook(
        "PreToolUse",
        { hook_event_name: "PreToolUse", session_id: "s", tool_name: "Bash", tool_input: { command } },
        { AGENT_RELAY_BIN: FAKE_RELAY_CLI },
      );
      return r.stdout.includes('"permissionDecision":"allow"');
    };
    expect(await decide(`"$AGENT_RELAY_BIN" msg reply 12 'done, see PR #4'`)).toBe(true);
    expect(await decide(`"$AGENT_RELAY_BIN" msg react 12 "👍"`)).toBe(true);
    expect(await decide(`"$AGENT_RELAY_BIN" msg reply 12 "$(rm -rf ~)"`)).toBe(false);
    expect(await decide(`"$AGENT_RELAY_BIN" msg reply 12 'ok'; rm -rf ~`)).toBe(false);
    expect(await decide("rm -rf ~")).toBe(false);
    // Task reports, as the report-task skill writes them; nothing else of the task commands.
    expect(
      await decide(`"$AGENT_RELAY_BIN" task partial 12 --summary 'lexer done' --reason 'parser left'`),
    ).toBe(true);
    expect(await decide(`"$AGENT_RELAY_BIN" task fail 12`)).toBe(true);
    expect(await decide(`"$AGENT_RELAY_BIN" task done 12 --summary "$(id)"`)).toBe(false);
    expect(await decide(`"$AGENT_RELAY_BIN" task done 12 --summary 'x' && rm -rf ~`)).toBe(false);
    expect(await decide(`"$AGENT_RELAY_BIN" task status 12 done`)).toBe(false);
  }, 20_000);
});
