// CODEX_HOME preparation: config.toml per approval mode, file modes, skills installation.
import { afterEach, describe, expect, test } from "bun:test";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { APPROVAL_MODES, prepareCodexHome, renderCodexConfig } from "../../../src/providers/codex/home.ts";
import { isRunnerError } from "../../../src/util/errors.ts";
import { tempDir } from "./harness.ts";

const base = { cwd: "/srv/project", model: "gpt-5.5" };
const provider = { baseUrl: "http://127.0.0.1:9999/v1", envKey: "MY_MODEL_KEY", maxRetries: 0 };
const value = (config: string, key: string) => config.match(new RegExp(`^${key} = (.*)$`, "m"))?.[1];

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe("renderCodexConfig", () => {
  test.each([
    ["default", '"on-request"', '"workspace-write"'],
    ["auto", '"never"', '"workspace-write"'],
    ["read-only", '"on-request"', '"read-only"'],
    ["full", '"never"', '"danger-full-access"'],
  ] as const)("approval mode %s sets approval_policy %s and sandbox_mode %s", (mode, policy, sandbox) => {
    const config = renderCodexConfig({ ...base, approvalMode: mode });
    expect(value(config, "approval_policy")).toBe(policy);
    expect(value(config, "sandbox_mode")).toBe(sandbox);
    // 0.169 refuses "untrusted" in config.toml at start-up.
    expect(config).not.toContain("untrusted");
  });

  test("sandboxed modes keep network access so relay commands can reach the relay", () => {
    expect(renderCodexConfig({ ...base, approvalMode: "default" })).toContain(
      "[sandbox_workspace_write]\nnetwork_access = true",
    );
    expect(renderCodexConfig({ ...base, approvalMode: "read-only" })).not.toContain("network_access");
  });

  test("an unknown approval mode is refused with CONFIG_INVALID naming the modes", () => {
    let error: unknown;
    try {
      renderCodexConfig({ ...base, approvalMode: "yolo" as never });
    } catch (e) {
      error = e;
    }
    expect(isRunnerError(error, "CONFIG_INVALID")).toBe(true);
    expect(String((error as Error).message)).toContain(APPROVAL_MODES.join(", "));
  });

  test("a custom provider speaks the Responses API, names the key's env variable and keeps it from shells", () => {
    const config = renderCodexConfig({ ...base, approvalMode: "default", provider, effort: "high" });
    expect(value(config, "model_provider")).toBe('"relay"');
    expect(value(config, "model_reasoning_effort")).toBe('"high"');
    expect(config).toContain("[model_providers.relay]");
    expect(config).toContain('base_url = "http://127.0.0.1:9999/v1"');
    expect(config).toContain('wire_api = "responses"');
    expect(config).toContain('env_key = "MY_MODEL_KEY"');
    expect(config).toContain("request_max_retries = 0");
    expect(config).toMatch(/\[shell_environment_policy\]\nexclude = \[.*"MY_MODEL_KEY".*\]/);
  });

  test("without a custom provider Codex uses OpenAI itself", () => {
    const config = renderCodexConfig({ ...base, approvalMode: "default" });
    expect(value(config, "model_provider")).toBe('"openai"');
    expect(config).not.toContain("[model_providers.");
  });

  test("the cwd is trusted, the daemon stays off and first-run TUI dialogs are pre-answered", () => {
    const config = renderCodexConfig({ ...base, cwd: '/srv/a "quoted" dir', approvalMode: "default" });
    expect(config).toContain('[projects."/srv/a \\"quoted\\" dir"]\ntrust_level = "trusted"');
    expect(config).toContain("[features]\ndaemon_auto_start = false");
    expect(config).toContain("screen_reader_detection_done = true");
    expect(config).toContain('[notice.model_migrations]\n"gpt-5.5" = "gpt-6-sol"');
  });
});

describe("prepareCodexHome", () => {
  test("writes config.toml and a copied auth.json as 0600 in a 0700 home, and installs the relay skills", async () => {
    const dir = await tempDir("codex-home");
    cleanup = dir.remove;
    const auth = join(dir.path, "auth-source.json");
    await Bun.write(auth, '{"OPENAI_API_KEY":"sk-secret"}');
    const home = join(dir.path, "home");
    await prepareCodexHome({ ...base, homeDir: home, approvalMode: "full", authJsonFrom: auth });
    expect((await stat(home)).mode & 0o777).toBe(0o700);
    expect((await stat(join(home, "config.toml"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, "auth.json"))).mode & 0o777).toBe(0o600);
    expect(await Bun.file(join(home, "auth.json")).text()).toContain("sk-secret");
    for (const skill of ["guide", "read-message", "reply", "react"]) {
      const text = await Bun.file(join(home, "skills", skill, "SKILL.md")).text();
      // biome's markdown formatter puts a blank line after the opening `---`; Codex accepts it.
      expect(text).toMatch(new RegExp(`^---\\n\\n?name: ${skill}\\ndescription: '`));
      expect(text).toContain('"$AGENT_RELAY_BIN" msg');
    }
  });

  test("a missing auth.json source is a CONFIG_INVALID error", async () => {
    const dir = await tempDir("codex-home");
    cleanup = dir.remove;
    const attempt = prepareCodexHome({
      ...base,
      homeDir: join(dir.path, "h"),
      approvalMode: "default",
      authJsonFrom: "/nope/auth.json",
    });
    await expect(attempt).rejects.toMatchObject({ code: "CONFIG_INVALID" });
  });
});
