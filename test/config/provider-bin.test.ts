import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, resolveProviderBin } from "../../src/config/index.ts";

let root: string;
let localClaude: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "provider-bin-"));
  mkdirSync(join(root, "node_modules/.bin"), { recursive: true });
  localClaude = join(root, "node_modules/.bin/claude");
  writeFileSync(localClaude, "#!/bin/sh\n");
  chmodSync(localClaude, 0o755);
  writeFileSync(join(root, "not-executable"), "");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const nothingOnPath = () => null;

describe("resolveProviderBin", () => {
  test("an explicit executable path wins", () => {
    expect(resolveProviderBin("claude", localClaude, { which: () => "/elsewhere/claude" })).toBe(localClaude);
  });

  test("an explicit bare name is looked up on PATH", () => {
    expect(
      resolveProviderBin("codex", "my-codex", { which: (n) => (n === "my-codex" ? "/opt/my-codex" : null) }),
    ).toBe("/opt/my-codex");
  });

  test("an explicit path that is not executable is refused with the option named", () => {
    expect(() =>
      resolveProviderBin("claude", join(root, "not-executable"), { which: nothingOnPath }),
    ).toThrow("--provider-bin (AGENT_RELAY_PROVIDER_BIN): expected an executable path or a command on PATH");
  });

  test("without an explicit value the provider's command on PATH is used", () => {
    expect(
      resolveProviderBin("codex", undefined, { which: (n) => `/usr/local/bin/${n}`, packageRoot: root }),
    ).toBe("/usr/local/bin/codex");
  });

  test("then the package's own node_modules/.bin", () => {
    expect(resolveProviderBin("claude", undefined, { which: nothingOnPath, packageRoot: root })).toBe(
      localClaude,
    );
  });

  test("when nothing is found the error names everything tried", () => {
    let error: unknown;
    try {
      resolveProviderBin("codex", undefined, { which: nothingOnPath, packageRoot: root });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `--provider-bin (AGENT_RELAY_PROVIDER_BIN): no codex executable found; tried codex on PATH, then ${root}/node_modules/.bin/codex`,
    );
  });

  test("this repository's own claude and codex are found by default", () => {
    expect(resolveProviderBin("claude", undefined, { which: nothingOnPath })).toEndWith(
      "node_modules/.bin/claude",
    );
    expect(resolveProviderBin("codex", undefined, { which: nothingOnPath })).toEndWith(
      "node_modules/.bin/codex",
    );
  });

  test("the command provider has no default executable", () => {
    expect(() => resolveProviderBin("command")).toThrow(ConfigError);
  });
});
