import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { SignJWT } from "jose";
import {
  ConfigError,
  type OptionSpec,
  parseRunnerCli,
  parseRunnerConfig,
  RUNNER_OPTIONS,
  type RunnerConfig,
  stableAgentId,
} from "../../src/config/index.ts";

let dir: string;
beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "config-test-")));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const deps = { hostname: () => "box", randomId: () => "abc123" };

interface Sample {
  /** argv for the flag form (after the option name is chosen). */
  flag: () => string[];
  env: () => string;
  expected: () => unknown;
}
const str = (flag: string, value: string): Sample => ({
  flag: () => [flag, value],
  env: () => value,
  expected: () => value,
});

// One sample per option; the test below fails if an option is added without one.
const SAMPLES: Record<string, Sample> = {
  provider: str("--provider", "codex"),
  relayUrl: str("--relay-url", "http://127.0.0.1:7700"),
  token: str("--token", "tok-abc"),
  tokenFile: {
    flag: () => ["--token-file", tokenFile()],
    env: () => tokenFile(),
    expected: () => join(dir, "token"),
  },
  startTimeoutMs: {
    flag: () => ["--start-timeout-ms", "5000"],
    env: () => "5000",
    expected: () => 5000,
  },
  isolate: str("--isolate", "auto"),
  tokenJti: str("--token-jti", "jti-1"),
  tokenProfile: str("--token-profile", "provider-agent"),
  tokenExpiresAt: {
    flag: () => ["--token-expires-at", "1900000000"],
    env: () => "1900000000",
    expected: () => 1900000000,
  },
  agentId: str("--agent-id", "agent-7"),
  runnerId: str("--runner-id", "runner-7"),
  label: str("--label", "reviewer"),
  requestedTags: { flag: () => ["--tag", "blue"], env: () => "blue", expected: () => ["blue"] },
  capabilities: { flag: () => ["--capability", "review"], env: () => "review", expected: () => ["review"] },
  cwd: { flag: () => ["--cwd", dir], env: () => dir, expected: () => dir },
  model: str("--model", "opus"),
  modelBaseUrl: str("--model-base-url", "http://127.0.0.1:4000/v1"),
  workspace: { flag: () => ["--workspace", dir], env: () => dir, expected: () => realpathSync(dir) },
  worktree: { flag: () => ["--worktree"], env: () => "1", expected: () => true },
  effort: str("--effort", "high"),
  approvalMode: str("--approval-mode", "read-only"),
  headless: { flag: () => ["--headless"], env: () => "1", expected: () => true },
  detach: { flag: () => ["--detach"], env: () => "1", expected: () => true },
  prompt: str("--prompt", "hello there"),
  systemPromptAppend: str("--system-prompt-append", "be brief"),
  profile: str("--profile", "careful"),
  profileFile: str("--profile-file", "/tmp/agent-relay-test/profile.json"),
  tmuxSession: str("--tmux-session", "sess-1"),
  policyName: str("--policy-name", "pol"),
  spawnRequestId: str("--spawn-request-id", "spawn-1"),
  exitOnShutdown: { flag: () => ["--no-exit-on-shutdown"], env: () => "0", expected: () => false },
  logLevel: str("--log-level", "debug"),
  providerBin: str("--provider-bin", "/usr/bin/env"),
  readyPattern: str("--ready-pattern", "^\\$ $"),
  quietMs: { flag: () => ["--quiet-ms", "250"], env: () => "250", expected: () => 250 },
  runnerInfoFile: str("--runner-info-file", "/tmp/agent-relay-test/info.json"),
  broadTargets: { flag: () => ["--no-broad-targets"], env: () => "false", expected: () => false },
  durable: { flag: () => ["--durable"], env: () => "1", expected: () => true },
  claudeMonitor: { flag: () => ["--no-claude-monitor"], env: () => "off", expected: () => false },
  taskCompletion: str("--task-completion", "explicit"),
  stallAfterMs: { flag: () => ["--stall-after", "90s"], env: () => "90s", expected: () => 90_000 },
  maxCostUsd: { flag: () => ["--max-cost-usd", "2.5"], env: () => "2.5", expected: () => 2.5 },
  tokenPrice: {
    flag: () => ["--token-price", "1.25,10"],
    env: () => "1.25, 10",
    expected: () => ({ inputUsdPerMtok: 1.25, outputUsdPerMtok: 10 }),
  },
};

/** A token file with surrounding whitespace, which is not part of the token. */
function tokenFile(): string {
  const path = join(dir, "token");
  writeFileSync(path, "  tok-from-file\n", { mode: 0o600 });
  return path;
}

function parseWith(spec: OptionSpec, form: "flag" | "env"): RunnerConfig {
  const sample = SAMPLES[spec.key]!;
  // --provider is itself under test for its own row; every other row runs the claude provider.
  const base = spec.key === "provider" ? [] : ["--provider", "claude"];
  if (form === "flag") return parseRunnerConfig([...base, ...sample.flag()], {}, deps);
  return parseRunnerConfig(base, { [spec.env]: sample.env() }, deps);
}

describe("parseRunnerConfig", () => {
  test("every option in the table has a sample in this test", () => {
    expect(RUNNER_OPTIONS.map((s) => s.key).filter((k) => !(k in SAMPLES))).toEqual([]);
  });

  for (const spec of RUNNER_OPTIONS) {
    test(`${spec.flag} is ${spec.secret ? "refused" : "read"} from its flag`, () => {
      if (spec.secret) {
        expect(() => parseWith(spec, "flag")).toThrow(ConfigError);
        return;
      }
      expect(parseWith(spec, "flag")[spec.key]).toEqual(SAMPLES[spec.key]!.expected() as never);
    });
    test(`${spec.flag} is read from ${spec.env}`, () => {
      expect(parseWith(spec, "env")[spec.key]).toEqual(SAMPLES[spec.key]!.expected() as never);
    });
  }

  test("a budget is a positive number of USD and a token price two prices; bad ones name the option", () => {
    const c = parseRunnerConfig(["--provider", "codex"], {}, deps);
    expect(c.maxCostUsd).toBeUndefined();
    expect(c.tokenPrice).toBeUndefined();
    for (const bad of ["0", "-1", "lots"]) {
      expect(() => parseRunnerConfig(["--provider", "codex", "--max-cost-usd", bad], {}, deps)).toThrow(
        /--max-cost-usd \(AGENT_RELAY_MAX_COST_USD\): expected a number of USD above 0/,
      );
    }
    for (const bad of ["3", "a,b", "1,2,3", "-1,2", ",4"]) {
      expect(() => parseRunnerConfig(["--provider", "codex", "--token-price", bad], {}, deps)).toThrow(
        /--token-price \(AGENT_RELAY_TOKEN_PRICE\): expected <in>,<out>: USD per million/,
      );
    }
  });

  test("tasks complete on idle and stall after 10 minutes unless told otherwise; a bad duration names the option", () => {
    const c = parseRunnerConfig(["--provider", "claude"], {}, deps);
    expect(c.taskCompletion).toBe("auto");
    expect(c.stallAfterMs).toBe(600_000);
    expect(parseRunnerConfig(["--provider", "claude", "--stall-after", "2h"], {}, deps).stallAfterMs).toBe(
      7_200_000,
    );
    for (const bad of ["soon", "0s", "8d"]) {
      expect(() => parseRunnerConfig(["--provider", "claude", "--stall-after", bad], {}, deps)).toThrow(
        /--stall-after \(AGENT_RELAY_STALL_AFTER\): expected a duration like 90s, 10m or 2h/,
      );
    }
    expect(() => parseRunnerConfig(["--provider", "claude", "--task-completion", "never"], {}, deps)).toThrow(
      /--task-completion \(AGENT_RELAY_TASK_COMPLETION\): expected one of auto\|explicit/,
    );
  });

  test("flags win over their env twins", () => {
    const env = {
      AGENT_RELAY_PROVIDER: "codex",
      AGENT_RELAY_MODEL: "from-env",
      AGENT_RELAY_APPROVAL_MODE: "full",
      AGENT_RELAY_HEADLESS: "1",
      AGENT_RELAY_QUIET_MS: "900",
    };
    const c = parseRunnerConfig(
      [
        "--provider",
        "claude",
        "--model",
        "from-flag",
        "--approval-mode",
        "auto",
        "--no-headless",
        "--quiet-ms",
        "60",
      ],
      env,
      deps,
    );
    expect([c.provider, c.model, c.approvalMode, c.headless, c.quietMs]).toEqual([
      "claude",
      "from-flag",
      "auto",
      false,
      60,
    ]);
  });

  test("defaults apply when neither flag nor env is set", () => {
    const c = parseRunnerConfig(["--provider", "claude"], {}, { ...deps, cwd: () => dir });
    expect(c).toMatchObject({
      approvalMode: "default",
      headless: false,
      worktree: false,
      exitOnShutdown: true,
      durable: false,
      broadTargets: true,
      logLevel: "info",
      cwd: dir,
      runnerId: "claude-box-abc123",
      agentId: stableAgentId("claude", dir),
      providerArgs: [],
    });
    expect(c.relayUrl).toBeUndefined();
  });

  test("a generated runner id keeps only id-safe characters of the hostname", () => {
    const c = parseRunnerConfig(
      ["--provider", "codex"],
      {},
      { hostname: () => "My Box!.local", randomId: () => "zz9" },
    );
    expect(c.runnerId).toBe("codex-My-Box-.local-zz9");
  });

  test("the default agent id is stable for a provider and directory: provider, directory name, path hash", () => {
    const run = (randomId: string, cwd = dir, provider = "claude") =>
      parseRunnerConfig(["--provider", provider], {}, { ...deps, randomId: () => randomId, cwd: () => cwd })
        .agentId;
    const first = run("r1");
    expect(first).toMatch(/^claude-config-test-[A-Za-z0-9]+-[0-9a-f]{8}$/);
    // A restart (new random runner id) is the same agent; another provider or a same-named directory elsewhere is not.
    expect(run("r2")).toBe(first);
    expect(run("r1", dir, "codex")).not.toBe(first);
    const twin = join(dir, "nested", basename(dir));
    mkdirSync(twin, { recursive: true });
    expect(run("r1", twin)).not.toBe(first);
    expect(run("r1", twin).startsWith(`claude-${basename(dir)}-`)).toBe(true);
    // A symlink to the same directory is the same agent.
    const link = join(dir, "link-to-twin");
    symlinkSync(twin, link);
    expect(run("r1", link)).toBe(run("r1", twin));
    // An explicit --agent-id wins.
    const explicit = parseRunnerConfig(
      ["--provider", "claude", "--agent-id", "me"],
      {},
      { ...deps, cwd: () => dir },
    );
    expect(explicit.agentId).toBe("me");
  });

  test("the agent id defaults to an explicit runner id", () => {
    expect(parseRunnerConfig(["--provider", "claude", "--runner-id", "r1"], {}, deps).agentId).toBe("r1");
  });

  test("repeatable tags and capabilities accumulate and union with their env lists", () => {
    const c = parseRunnerConfig(
      ["--provider", "claude", "--tag", "a", "--tag", "b", "--capability", "x", "--capability", "y,z"],
      { AGENT_RELAY_TAGS: "env1, b ,,env2", AGENT_RELAY_CAPABILITIES: "x,w" },
      deps,
    );
    expect(c.requestedTags).toEqual(["env1", "b", "env2", "a"]);
    expect(c.capabilities).toEqual(["x", "w", "y", "z"]);
    expect(c.tags).toEqual(["claude", "env1", "b", "env2", "a"]);
  });

  test("tags add the provider's default tags and headless when headless", () => {
    const c = parseRunnerConfig(
      ["--provider", "codex", "--tag", "mine", "--headless"],
      {},
      { ...deps, providerDefaultTags: (p) => (p === "codex" ? ["openai", "mine"] : []) },
    );
    expect(c.tags).toEqual(["codex", "mine", "openai", "headless"]);
  });

  test("arguments after -- go to the provider untouched, even ones that look like options", () => {
    const c = parseRunnerConfig(["--provider", "command", "--", "bash", "--norc", "--", "-x"], {}, deps);
    expect(c.providerArgs).toEqual(["bash", "--norc", "--", "-x"]);
  });

  test("--name=value works like --name value", () => {
    const c = parseRunnerConfig(["--provider=claude", "--model=a=b", "--headless=false"], {}, deps);
    expect([c.provider, c.model, c.headless]).toEqual(["claude", "a=b", false]);
  });

  test("relative --cwd and --runner-info-file resolve against the current directory", () => {
    const c = parseRunnerConfig(
      ["--provider", "claude", "--cwd", ".", "--runner-info-file", "info.json"],
      {},
      { ...deps, cwd: () => dir },
    );
    expect([c.cwd, c.runnerInfoFile]).toEqual([dir, join(dir, "info.json")]);
  });

  test("a runtime JWT fills in the token's jti, profile and expiry when they are not given", async () => {
    const token = await new SignJWT({ profileId: "provider-interactive" })
      .setProtectedHeader({ alg: "HS256" })
      .setJti("jti-from-claims")
      .setExpirationTime(1_900_000_123)
      .sign(new TextEncoder().encode("k".repeat(32)));
    const c = parseRunnerConfig(
      ["--provider", "claude"],
      { AGENT_RELAY_TOKEN: token, AGENT_RELAY_TOKEN_JTI: "given" },
      deps,
    );
    expect([c.tokenJti, c.tokenProfile, c.tokenExpiresAt]).toEqual([
      "given",
      "provider-interactive",
      1_900_000_123,
    ]);
  });

  test("a secret on the command line is refused with a line naming its env and file twins, never the secret", () => {
    for (const argv of [
      ["--provider", "claude", "--token", "s3cret-value"],
      ["--provider", "claude", "--token=s3cret-value"],
    ]) {
      let message = "";
      try {
        parseRunnerConfig(argv, {}, deps);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toContain("--token (AGENT_RELAY_TOKEN): refused on the command line");
      expect(message).toContain("--token-file <path>");
      expect(message).not.toContain("s3cret-value");
    }
  });

  test("--token-file: the file's token (trimmed) wins over AGENT_RELAY_TOKEN; a missing or empty file is an error", () => {
    const c = parseRunnerConfig(
      ["--provider", "claude", "--token-file", tokenFile()],
      { AGENT_RELAY_TOKEN: "from-env" },
      deps,
    );
    expect(c.token).toBe("tok-from-file");
    expect(() =>
      parseRunnerConfig(["--provider", "claude", "--token-file", join(dir, "nope")], {}, deps),
    ).toThrow("--token-file (AGENT_RELAY_TOKEN_FILE): cannot read");
    writeFileSync(join(dir, "empty-token"), "\n");
    expect(() =>
      parseRunnerConfig(["--provider", "claude", "--token-file", join(dir, "empty-token")], {}, deps),
    ).toThrow("is empty");
  });

  test("the config is frozen, lists included", () => {
    const c = parseRunnerConfig(["--provider", "claude", "--tag", "a"], {}, deps);
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => (c.tags as string[]).push("b")).toThrow();
  });

  test("a relay URL given in env only is used", () => {
    const c = parseRunnerConfig(["--provider", "claude"], { AGENT_RELAY_URL: "https://relay.example" }, deps);
    expect(c.relayUrl).toBe("https://relay.example");
  });

  test("an empty env var counts as unset", () => {
    const c = parseRunnerConfig(
      ["--provider", "claude"],
      { AGENT_RELAY_MODEL: "", AGENT_RELAY_TAGS: "" },
      deps,
    );
    expect([c.model, c.requestedTags]).toEqual([undefined, []]);
  });

  test("--help and --version are reported instead of a config", () => {
    expect(parseRunnerCli(["--provider", "nope", "--help"], {})).toEqual({ action: "help" });
    expect(parseRunnerCli(["-V"], {})).toEqual({ action: "version" });
    expect(() => parseRunnerConfig(["--help"], {})).toThrow(ConfigError);
  });
});

describe("bad values give one line naming the option, its env, the rule and the value", () => {
  const cases: [string, string[], Record<string, string>, string][] = [
    [
      "approval mode",
      ["--approval-mode", "yolo"],
      {},
      '--approval-mode (AGENT_RELAY_APPROVAL_MODE): expected one of default|auto|read-only|full, got "yolo"',
    ],
    [
      "approval mode from env",
      [],
      { AGENT_RELAY_APPROVAL_MODE: "yolo" },
      '--approval-mode (AGENT_RELAY_APPROVAL_MODE): expected one of default|auto|read-only|full, got "yolo"',
    ],
    [
      "quiet period too short",
      ["--quiet-ms", "10"],
      {},
      "--quiet-ms (AGENT_RELAY_QUIET_MS): expected an integer >= 50, got 10",
    ],
    [
      "quiet period not a number",
      [],
      { AGENT_RELAY_QUIET_MS: "soon" },
      '--quiet-ms (AGENT_RELAY_QUIET_MS): expected an integer, got "soon"',
    ],
    [
      "ready pattern",
      ["--ready-pattern", "(unclosed"],
      {},
      '--ready-pattern (AGENT_RELAY_READY_PATTERN): expected a valid regular expression, got "(unclosed"',
    ],
    [
      "headless env",
      [],
      { AGENT_RELAY_HEADLESS: "maybe" },
      '--headless (AGENT_RELAY_HEADLESS): expected 1, true, yes, on, 0, false, no or off, got "maybe"',
    ],
    [
      "log level",
      ["--log-level", "loud"],
      {},
      '--log-level (AGENT_RELAY_LOG_LEVEL): expected one of trace|debug|info|warn|error|fatal|silent, got "loud"',
    ],
    [
      "relay url",
      ["--relay-url", "ftp://x"],
      {},
      '--relay-url (AGENT_RELAY_URL): expected an http(s):// or ws(s):// URL, got "ftp://x"',
    ],
    [
      "cwd",
      ["--cwd", "/definitely/not/here"],
      {},
      '--cwd (AGENT_RELAY_CWD): expected an existing directory, got "/definitely/not/here"',
    ],
    [
      "token expiry in milliseconds",
      [],
      { AGENT_RELAY_TOKEN_EXPIRES_AT: "1900000000000" },
      "--token-expires-at (AGENT_RELAY_TOKEN_EXPIRES_AT): expected epoch seconds, not milliseconds, got 1900000000000",
    ],
    [
      "one bad tag among good ones",
      ["--tag", "ok", "--tag", "not ok"],
      {},
      '--tag (AGENT_RELAY_TAGS): expected a tag of 1-128 letters, digits or . _ @ : / -, got "not ok"',
    ],
    [
      "agent id",
      ["--agent-id", "a b"],
      {},
      '--agent-id (AGENT_RELAY_AGENT_ID): expected 1-128 letters, digits or . _ @ : - (not only dots), got "a b"',
    ],
    [
      "agent id ..",
      ["--agent-id", ".."],
      {},
      '--agent-id (AGENT_RELAY_AGENT_ID): expected 1-128 letters, digits or . _ @ : - (not only dots), got ".."',
    ],
    [
      "agent id .",
      [],
      { AGENT_RELAY_AGENT_ID: "." },
      '--agent-id (AGENT_RELAY_AGENT_ID): expected 1-128 letters, digits or . _ @ : - (not only dots), got "."',
    ],
    [
      "agent id that reads as a target form",
      ["--agent-id", "tag:x"],
      {},
      "--agent-id (AGENT_RELAY_AGENT_ID): expected an id that is not 'broadcast' and does not start with label:, tag: or cap:, got \"tag:x\"",
    ],
    [
      "agent id broadcast",
      [],
      { AGENT_RELAY_AGENT_ID: "broadcast" },
      "--agent-id (AGENT_RELAY_AGENT_ID): expected an id that is not 'broadcast' and does not start with label:, tag: or cap:, got \"broadcast\"",
    ],
    [
      "tmux session",
      ["--tmux-session", "a:b"],
      {},
      '--tmux-session (AGENT_RELAY_TMUX_SESSION): expected 1-128 letters, digits or _ @ / - (no : or .), got "a:b"',
    ],
    [
      "missing value",
      ["--model"],
      {},
      "--model (AGENT_RELAY_MODEL): expected a value after --model, got end of arguments",
    ],
    [
      "value swallowed by the next flag",
      ["--label", "--tag", "x"],
      {},
      '--label (AGENT_RELAY_LABEL): expected a value after --label, got "--tag"',
    ],
    [
      "unknown option",
      ["--frobnicate"],
      {},
      "unknown option --frobnicate (run with --help to list the options)",
    ],
    ["stray positional", ["bash"], {}, 'unexpected argument "bash": provider arguments go after --'],
  ];
  for (const [what, args, env, message] of cases) {
    test(what, () => {
      let error: unknown;
      try {
        parseRunnerConfig(["--provider", "claude", ...args], env, deps);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe("CONFIG_INVALID");
      expect((error as Error).message).toBe(message);
      expect((error as Error).message).not.toContain("\n");
    });
  }

  test("a missing provider is named with its choices", () => {
    expect(() => parseRunnerConfig([], {})).toThrow(
      "--provider (AGENT_RELAY_PROVIDER): required, expected one of claude|codex|command",
    );
  });

  test("an unknown provider is named with its choices", () => {
    expect(() => parseRunnerConfig([], { AGENT_RELAY_PROVIDER: "gpt" })).toThrow(
      '--provider (AGENT_RELAY_PROVIDER): expected one of claude|codex|command, got "gpt"',
    );
  });

  test("the command provider without a program after -- is refused", () => {
    expect(() => parseRunnerConfig(["--provider", "command"], {})).toThrow(
      "the command provider needs the program to run after --",
    );
    expect(() => parseRunnerConfig(["--provider", "command", "--"], {})).toThrow(ConfigError);
  });
});

describe("--workspace confines the working directory", () => {
  let ws: string;
  beforeAll(() => {
    ws = realpathSync(mkdtempSync(join(tmpdir(), "ws-")));
    mkdirSync(join(ws, "app"));
    mkdirSync(join(ws, "..", `${ws.split("/").pop()}-outside`), { recursive: true });
    symlinkSync(tmpdir(), join(ws, "escape"));
  });
  afterAll(() => rmSync(ws, { recursive: true, force: true }));
  const parse = (argv: string[]) => parseRunnerConfig(["--provider", "codex", ...argv], {}, deps);

  test("a relative --cwd resolves inside the workspace, and no --cwd means the workspace itself", () => {
    expect(parse(["--workspace", ws, "--cwd", "app"]).cwd).toBe(join(ws, "app"));
    expect(parse(["--workspace", ws]).cwd).toBe(ws);
  });

  test("absolute paths, .. escapes and symlinks out of the workspace are refused with a message naming --cwd", () => {
    expect(() => parse(["--workspace", ws, "--cwd", "/tmp"])).toThrow(/--cwd.*not an absolute path/);
    expect(() => parse(["--workspace", ws, "--cwd", `../${ws.split("/").pop()}-outside`])).toThrow(
      /--cwd.*inside --workspace/,
    );
    expect(() => parse(["--workspace", ws, "--cwd", "escape"])).toThrow(/--cwd.*inside --workspace/);
  });
});
