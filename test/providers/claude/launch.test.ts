// The claude command line and environment: flags per approval mode, resume, and secrets kept off argv.
import { describe, expect, test } from "bun:test";
import {
  buildClaudeLaunch,
  type ClaudeLaunchOptions,
  launcherArgv,
} from "../../../src/providers/claude/launch.ts";

const base: ClaudeLaunchOptions = {
  claudeBin: "/opt/claude",
  pluginDir: "/repo/plugins/claude",
  configDir: "/state/claude",
  claudeSessionId: "11111111-2222-4333-8444-555555555555",
  resume: false,
  approvalMode: "default",
  armMonitor: true,
  env: { AGENT_RELAY_CONTROL_SECRET: "s3cret-value", AGENT_RELAY_TOKEN: "tok-value" },
};

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

describe("buildClaudeLaunch", () => {
  test("with an inbox socket Claude binds it and accepts its messages whatever its permission mode; without, neither", () => {
    const withInbox = buildClaudeLaunch({
      ...base,
      approvalMode: "full",
      inboxSocketPath: "/state/claude/inbox.sock",
    });
    expect(flag(withInbox.argv, "--messaging-socket-path")).toBe("/state/claude/inbox.sock");
    expect(JSON.parse(flag(withInbox.argv, "--settings") ?? "{}").crossSessionInbound).toBe("accept");
    const without = buildClaudeLaunch({ ...base, approvalMode: "full" });
    expect(without.argv).not.toContain("--messaging-socket-path");
    expect(JSON.parse(flag(without.argv, "--settings") ?? "{}").crossSessionInbound).toBeUndefined();
  });

  test("a new session gets --session-id, the plugin, the relay instructions and the operator's addition", () => {
    const { argv } = buildClaudeLaunch({
      ...base,
      systemPromptAppend: "Always be brief.",
      model: "claude-sonnet-4-5",
    });
    expect(argv[0]).toBe("/opt/claude");
    expect(flag(argv, "--session-id")).toBe(base.claudeSessionId);
    expect(argv).not.toContain("--resume");
    expect(flag(argv, "--plugin-dir")).toBe("/repo/plugins/claude");
    expect(flag(argv, "--model")).toBe("claude-sonnet-4-5");
    const prompt = flag(argv, "--append-system-prompt") ?? "";
    expect(prompt).toContain("[relay message #<id> from <sender>]");
    expect(prompt).toContain('"$AGENT_RELAY_BIN" msg reply <id>');
    expect(prompt.endsWith("Always be brief.")).toBe(true);
  });

  test("a restart resumes the same Claude session instead of starting a new one", () => {
    const { argv } = buildClaudeLaunch({ ...base, resume: true });
    expect(flag(argv, "--resume")).toBe(base.claudeSessionId);
    expect(argv).not.toContain("--session-id");
  });

  test("each approval mode maps to Claude's permission mode", () => {
    const mode = (approvalMode: ClaudeLaunchOptions["approvalMode"]) =>
      flag(buildClaudeLaunch({ ...base, approvalMode }).argv, "--permission-mode");
    expect(mode("default")).toBe("manual");
    expect(mode("auto")).toBe("auto");
    expect(mode("read-only")).toBe("dontAsk");
    expect(mode("full")).toBe("bypassPermissions");
    const readOnly = JSON.parse(
      flag(buildClaudeLaunch({ ...base, approvalMode: "read-only" }).argv, "--settings") ?? "{}",
    );
    expect(readOnly.permissions.allow).toContain("Read");
    expect(readOnly.permissions.allow).not.toContain("Bash");
  });

  test("the statusLine command is the plugin's relay-status.sh, quoted for the shell Claude runs it in", () => {
    const settings = JSON.parse(
      flag(buildClaudeLaunch({ ...base, pluginDir: "/opt/it's here/plugin" }).argv, "--settings") ?? "{}",
    );
    expect(settings.statusLine).toEqual({
      type: "command",
      command: `'/opt/it'\\''s here/plugin/hooks/relay-status.sh'`,
    });
  });

  test("full access as root adds IS_SANDBOX, which Claude requires to bypass permissions", () => {
    expect(buildClaudeLaunch({ ...base, approvalMode: "full", isRoot: true }).env.IS_SANDBOX).toBe("1");
    expect(
      buildClaudeLaunch({ ...base, approvalMode: "full", isRoot: false }).env.IS_SANDBOX,
    ).toBeUndefined();
  });

  test("a shared login puts credentials and the refresh lock in the user's dir (CLAUDE_SECURESTORAGE_CONFIG_DIR)", () => {
    expect(buildClaudeLaunch(base).env.CLAUDE_SECURESTORAGE_CONFIG_DIR).toBeUndefined();
    const shared = buildClaudeLaunch({ ...base, secureStorageDir: "/home/me/.claude" });
    expect(shared.env.CLAUDE_SECURESTORAGE_CONFIG_DIR).toBe("/home/me/.claude");
    expect(shared.env.CLAUDE_CONFIG_DIR).toBe("/state/claude");
  });

  test("the auto-updater is always off; the monitor path unsets telemetry opt-outs, the paste path sets them", () => {
    const armed = buildClaudeLaunch(base);
    expect(armed.env.DISABLE_AUTOUPDATER).toBe("1");
    expect(armed.env.CLAUDE_CONFIG_DIR).toBe("/state/claude");
    expect(armed.unset).toContain("DISABLE_TELEMETRY");
    expect(armed.env.AGENT_RELAY_MONITOR).toBeUndefined();
    const paste = buildClaudeLaunch({ ...base, armMonitor: false });
    expect(paste.env.DISABLE_AUTOUPDATER).toBe("1");
    expect(paste.env.DISABLE_TELEMETRY).toBe("1");
    expect(paste.env.AGENT_RELAY_MONITOR).toBe("off");
    expect(paste.unset).toEqual([]);
  });

  test("secrets travel in the environment, never on any process's argv", () => {
    const launch = buildClaudeLaunch(base);
    const argv = launcherArgv(launch).join(" ");
    expect(argv).not.toContain("s3cret-value");
    expect(argv).not.toContain("tok-value");
    expect(launch.env.AGENT_RELAY_CONTROL_SECRET).toBe("s3cret-value");
  });

  test("the launcher unsets the opt-outs and execs claude, so the pane pid is claude's pid", () => {
    const launch = buildClaudeLaunch(base);
    const argv = launcherArgv(launch);
    expect(argv.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(argv[2]).toContain("unset DISABLE_TELEMETRY");
    expect(argv[2]).toContain('exec "$@"');
    expect(argv.slice(4)).toEqual(launch.argv);
    expect(launcherArgv(buildClaudeLaunch({ ...base, armMonitor: false }))).toEqual(
      buildClaudeLaunch({ ...base, armMonitor: false }).argv,
    );
  });
});
