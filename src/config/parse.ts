// Parses argv + env into the frozen RunnerConfig: flags win over env, lists union, every value checked by its zod rule.
import { createHash } from "node:crypto";
import { readFileSync, realpathSync, statSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { basename, isAbsolute, relative, resolve } from "node:path";
import { decodeJwt } from "jose/jwt/decode";
import { customAlphabet } from "nanoid";
import { readArgv } from "./argv.ts";
import { ConfigError } from "./errors.ts";
import { flagLabel, type OptionSpec, RUNNER_OPTIONS } from "./options.ts";
import { PROVIDERS, type ProviderName, type RunnerConfig, RunnerConfigSchema } from "./schema.ts";
import { computeTags } from "./tags.ts";

export type Env = Record<string, string | undefined>;

/** Seams for the parts of parsing that touch the machine, so tests can pin them. */
export interface ParseDeps {
  hostname?: () => string;
  /** Base for a relative --cwd / --runner-info-file and the default cwd. */
  cwd?: () => string;
  /** Random part of a generated runner id. */
  randomId?: () => string;
  /** The adapter's default tags, folded into `tags`; without it `tags` holds only the other sources. */
  providerDefaultTags?: (provider: ProviderName) => readonly string[];
}

export type RunnerCli = { action: "help" } | { action: "version" } | { action: "run"; config: RunnerConfig };

const randomSuffix = customAlphabet("0123456789abcdefghijklmnopqrstuvwxyz", 6);

/** argv is what follows the program name (process.argv.slice(2)). --help/--version win over everything else. */
export function parseRunnerCli(argv: readonly string[], env: Env, deps: ParseDeps = {}): RunnerCli {
  const raw = readArgv(argv, RUNNER_OPTIONS);
  if (raw.help) return { action: "help" };
  if (raw.version) return { action: "version" };

  const picked: Record<string, unknown> = {};
  for (const spec of RUNNER_OPTIONS) {
    const value = pickValue(spec, raw.values.get(spec), env);
    if (value !== undefined) picked[spec.key] = value;
  }
  return { action: "run", config: finish(picked, raw.providerArgs, deps) };
}

/** Like parseRunnerCli for a run; --help or --version here are a ConfigError (the caller wanted a config). */
export function parseRunnerConfig(argv: readonly string[], env: Env, deps: ParseDeps = {}): RunnerConfig {
  const cli = parseRunnerCli(argv, env, deps);
  if (cli.action !== "run") throw new ConfigError(`--${cli.action} asks for no runner config`);
  return cli.config;
}

/** One option from its env twin alone, checked by its rule: for commands other than the runner that honour it. */
export function envOption<K extends keyof RunnerConfig>(key: K, env: Env): RunnerConfig[K] {
  return pickValue(specFor(key), undefined, env) as RunnerConfig[K];
}

/**
 * The raw text of an option's env twin, unset when empty, unchecked: for commands that share the runner's variables
 * but apply their own rules (the messaging CLI's relay URL, token and acting agent).
 */
export function envText(key: keyof RunnerConfig, env: Env): string | undefined {
  return env[specFor(key).env] || undefined;
}

/** Throws the one-line message: option (flag and env), the rule, and the bad value when there is one. */
function fail(spec: OptionSpec, rule: string, ...got: [unknown?]): never {
  const suffix = got.length > 0 ? `, got ${shorten(JSON.stringify(got[0]))}` : "";
  throw new ConfigError(`${flagLabel(spec)} (${spec.env}): ${rule}${suffix}`, { option: spec.flag });
}

// Flags win for scalars (last flag wins); lists are the union of env and flags.
function pickValue(spec: OptionSpec, fromFlags: string[] | undefined, env: Env): unknown {
  if (spec.secret && fromFlags !== undefined) {
    const file = RUNNER_OPTIONS.find((s) => s.key === spec.secret?.fileKey)!;
    fail(
      spec,
      `refused on the command line, where every local user can read it (ps, /proc/<pid>/cmdline); set ${spec.env} or pass ${file.flag} <path>`,
    );
  }
  const envText = env[spec.env];
  const fromEnv = envText === undefined || envText === "" ? undefined : envText;
  let value: unknown;
  if (spec.kind === "list") {
    const items = [...splitList(fromEnv), ...(fromFlags ?? []).flatMap((f) => splitList(f))];
    if (items.length === 0 && spec.defaultValue === undefined) return [];
    value = [...new Set(items)];
  } else {
    const text = fromFlags?.at(-1) ?? fromEnv;
    if (text === undefined) return spec.defaultValue;
    value = coerce(spec, text);
  }
  const check = RunnerConfigSchema.shape[spec.key].safeParse(value);
  if (!check.success) {
    const issue = check.error.issues[0]!;
    const index = issue.path[0];
    const got = Array.isArray(value) && typeof index === "number" ? value[index] : value;
    fail(spec, issue.message, got);
  }
  return check.data;
}

// JSON.stringify already escapes newlines; this keeps a pasted megabyte from becoming the error line.
function shorten(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function splitList(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);

function coerce(spec: OptionSpec, text: string): unknown {
  if (spec.kind === "int") {
    if (!/^[+-]?\d+$/.test(text.trim())) fail(spec, "expected an integer", text);
    return Number(text.trim());
  }
  if (spec.kind === "boolean") {
    const t = text.trim().toLowerCase();
    if (TRUE.has(t)) return true;
    if (FALSE.has(t)) return false;
    fail(spec, "expected 1, true, yes, on, 0, false, no or off", text);
  }
  return text;
}

function specFor(key: keyof RunnerConfig): OptionSpec {
  return RUNNER_OPTIONS.find((s) => s.key === key)!;
}

/**
 * The provider's working directory. With --workspace, --cwd is a path inside it: absolute paths and `..` escapes
 * (also through symlinks) are refused, so a launch request can never point an agent outside its workspace.
 */
function resolveCwd(picked: Record<string, unknown>, base: string): string {
  const given = picked.cwd as string | undefined;
  if (picked.workspace === undefined) {
    const cwd = resolve(base, given ?? ".");
    if (!isDirectory(cwd)) fail(specFor("cwd"), "expected an existing directory", cwd);
    return cwd;
  }
  const workspace = resolve(base, picked.workspace as string);
  if (!isDirectory(workspace)) fail(specFor("workspace"), "expected an existing directory", workspace);
  picked.workspace = realpathSync(workspace);
  if (given !== undefined && isAbsolute(given)) {
    fail(specFor("cwd"), "expected a path relative to --workspace, not an absolute path", given);
  }
  const cwd = resolve(picked.workspace as string, given ?? ".");
  if (!isDirectory(cwd)) fail(specFor("cwd"), "expected an existing directory inside --workspace", given);
  const real = realpathSync(cwd);
  const rel = relative(picked.workspace as string, real);
  if (rel.startsWith("..") || isAbsolute(rel)) {
    fail(
      specFor("cwd"),
      "expected a directory inside --workspace (.. and symlink escapes are refused)",
      given,
    );
  }
  return real;
}

// Defaults that depend on other values or on the machine, cross-field rules, then the whole-object check.
function finish(picked: Record<string, unknown>, providerArgs: string[], deps: ParseDeps): RunnerConfig {
  const provider = picked.provider as ProviderName | undefined;
  if (provider === undefined) fail(specFor("provider"), `required, expected one of ${PROVIDERS.join("|")}`);
  if (provider === "command" && providerArgs.length === 0) {
    fail(
      specFor("provider"),
      "the command provider needs the program to run after --, e.g. --provider command -- my-agent-cli",
    );
  }
  const base = (deps.cwd ?? process.cwd)();

  const cwd = resolveCwd(picked, base);
  if (picked.runnerInfoFile !== undefined)
    picked.runnerInfoFile = resolve(base, picked.runnerInfoFile as string);
  if (picked.profileFile !== undefined) picked.profileFile = resolve(base, picked.profileFile as string);

  // An explicit runner id still names the agent; otherwise the agent id is stable for a provider and directory.
  picked.agentId ??= picked.runnerId ?? stableAgentId(provider, cwd);
  if (picked.runnerId === undefined) {
    const host = (deps.hostname ?? osHostname)()
      .replace(/[^A-Za-z0-9.-]+/g, "-")
      .slice(0, 64);
    picked.runnerId = `${provider}-${host || "host"}-${(deps.randomId ?? randomSuffix)()}`;
  }

  if (picked.tokenFile !== undefined) {
    picked.tokenFile = resolve(base, picked.tokenFile as string);
    picked.token = readSecretFile(specFor("tokenFile"), picked.tokenFile as string);
  }
  if (typeof picked.token === "string") fillFromTokenClaims(picked, picked.token);

  const requestedTags = picked.requestedTags as string[];
  const tags = computeTags({
    provider,
    requestedTags,
    providerDefaultTags: deps.providerDefaultTags?.(provider) ?? [],
    headless: picked.headless === true,
  });

  const candidate = { ...picked, provider, providerArgs, cwd, tags };
  const checked = RunnerConfigSchema.safeParse(candidate);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const key = issue.path[0] as keyof RunnerConfig;
    const spec = RUNNER_OPTIONS.find((s) => s.key === key);
    if (spec) fail(spec, issue.message, candidate[key as keyof typeof candidate]);
    throw new ConfigError(`${String(key)}: ${issue.message}`);
  }
  return deepFreeze(checked.data) as RunnerConfig;
}

/**
 * The default agent id: `<provider>-<directory name>-<8 hex of sha256(realpath)>`, so restarting a runner in the
 * same directory is the same agent (same inbox, no replayed backlog) and two directories of one name differ.
 */
export function stableAgentId(provider: string, cwd: string): string {
  let real = cwd;
  try {
    real = realpathSync(cwd);
  } catch {
    // Checked to exist above; keep the resolved path if it vanished meanwhile.
  }
  const name = basename(real)
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 64);
  const hash = createHash("sha256").update(real).digest("hex").slice(0, 8);
  return `${provider}-${name || "root"}-${hash}`;
}

/** A secret kept in a file: its content without surrounding whitespace; a missing or empty file is an error. */
function readSecretFile(spec: OptionSpec, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (e) {
    fail(spec, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (text === "") fail(spec, `${path} is empty`);
  return text;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

// A runtime token is a JWT: when jti/profile/expiry are not given, its (unverified) claims describe it.
function fillFromTokenClaims(picked: Record<string, unknown>, token: string): void {
  if (token.split(".").length !== 3) return;
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(token);
  } catch {
    return;
  }
  if (picked.tokenJti === undefined && typeof claims.jti === "string") picked.tokenJti = claims.jti;
  const profile = claims.profileId ?? claims.profile;
  if (picked.tokenProfile === undefined && typeof profile === "string") picked.tokenProfile = profile;
  if (picked.tokenExpiresAt === undefined && Number.isInteger(claims.exp)) picked.tokenExpiresAt = claims.exp;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
