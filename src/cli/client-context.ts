// Shared plumbing of the messaging CLI: where the relay is, option validation, and one-line errors with exit codes.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { z } from "zod";
import { envText, parseRelayUrlList } from "../config/index.ts";
import { describeIssues } from "../protocol/index.ts";
import { defaultRelayInfoPath, readRelayInfoFile } from "../relay/local-info.ts";
import { isRelayClientError } from "../relay-client/errors.ts";
import { RelayHttpClient } from "../relay-client/http-client.ts";
import { errorMessage } from "../util/errors.ts";
import { printError } from "./client-format.ts";

/** Bad input from the person or agent at the keyboard: exit 2, nothing was sent. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const EXIT_RELAY = 1;
export const EXIT_USAGE = 2;

export interface RelayConnectionOptions {
  relayUrl?: string;
  /** Only ever set to be refused: a token on the command line is readable by every local user (ps). */
  token?: string;
  tokenFile?: string;
}

export interface RelayTarget {
  /** One relay, or several comma-separated in failover order (as given to --relay-url). */
  url: string;
  token: string;
}

/**
 * Flags win over env, env over ~/.agent-relay/relay.json. The file's root token is only used for the file's
 * own relay, so a flag pointing elsewhere never sends that relay's root token to a stranger.
 */
export function resolveRelayTarget(
  opts: RelayConnectionOptions,
  env: NodeJS.ProcessEnv = process.env,
): RelayTarget {
  if (opts.token) {
    throw new UsageError(
      "--token is refused on the command line, where every local user can read it (ps); set AGENT_RELAY_TOKEN or pass --token-file <path>",
    );
  }
  const explicitUrl = opts.relayUrl || envText("relayUrl", env);
  const explicitToken = tokenFromFile(opts.tokenFile) ?? envText("token", env);
  let info: { url: string; rootToken: string } | undefined;
  if (!explicitUrl || !explicitToken) {
    const path = defaultRelayInfoPath();
    try {
      info = readRelayInfoFile(path);
    } catch {
      // The parse error could quote the file, and the file holds a token: name the file, not its content.
      throw new UsageError(`${path} is unreadable or not valid relay info ({url, rootToken})`);
    }
  }
  const url = explicitUrl ?? info?.url;
  if (!url) {
    throw new UsageError(
      "no relay: pass --relay-url, set AGENT_RELAY_URL, or start one with `agent-relay-runner relay`",
    );
  }
  checkRelayUrls(url);
  // A list never gets relay.json's root token: failing over would hand it to the other relays.
  const fileToken = info && sameRelay(info.url, url) ? info.rootToken : undefined;
  const token = explicitToken ?? fileToken;
  if (!token) throw new UsageError(`no token for ${url}: pass --token-file or set AGENT_RELAY_TOKEN`);
  return { url, token };
}

/** Each URL of the (comma-separated) list is an http(s) URL; the error names the bad one. Answers the list. */
export function checkRelayUrls(text: string): string[] {
  const list = parseRelayUrlList(text);
  if (!list.ok && text.includes(",")) {
    throw new UsageError(`--relay-url / AGENT_RELAY_URL: ${list.error} (got ${shortValue(text)})`);
  }
  const urls = list.ok ? list.urls : [text];
  for (const one of urls) {
    let parsedUrl: URL;
    try {
      parsedUrl = new URL(one);
    } catch {
      throw new UsageError(`--relay-url / AGENT_RELAY_URL: not a URL (got ${shortValue(one)})`);
    }
    if (parsedUrl.protocol !== "http:" && parsedUrl.protocol !== "https:") {
      throw new UsageError(`--relay-url / AGENT_RELAY_URL: must be http(s) (got ${shortValue(one)})`);
    }
  }
  return urls;
}

function tokenFromFile(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (e) {
    throw new UsageError(
      `--token-file: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    );
  }
  if (!text) throw new UsageError(`--token-file: ${path} is empty`);
  return text;
}

function sameRelay(a: string, b: string): boolean {
  return a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
}

const RunnerCredentials = z.object({ relayUrl: z.string().url(), token: z.string().min(1) });

/**
 * Inside an agent, the runner's control server knows the current token: runtime tokens renew while the agent
 * runs, so the copy in the agent's env goes stale. Undefined when not inside a runner's agent or it does not answer.
 */
export async function credentialsFromRunner(
  env: NodeJS.ProcessEnv = process.env,
): Promise<RelayTarget | undefined> {
  // Not options: the runner sets these for its agent's shell, like a socket handed to a child.
  const url = env.AGENT_RELAY_CONTROL_URL;
  const secret = env.AGENT_RELAY_CONTROL_SECRET;
  if (!url || !secret) return undefined;
  try {
    const res = await fetch(new URL("/v1/credentials", url), {
      headers: { authorization: `Bearer ${secret}` },
      signal: AbortSignal.timeout(2_000),
    });
    if (!res.ok) return undefined;
    const parsed = RunnerCredentials.safeParse(await res.json());
    return parsed.success ? { url: parsed.data.relayUrl, token: parsed.data.token } : undefined;
  } catch {
    // The runner is gone or busy: fall back to the env copy.
    return undefined;
  }
}

/** Add --relay-url and --token-file (and --token, to refuse it clearly) to a command. */
export function withRelayOptions(cmd: Command): Command {
  return cmd
    .option(
      "--relay-url <url[,url…]>",
      "relay base URL, or several comma-separated, tried in order (env AGENT_RELAY_URL, else ~/.agent-relay/relay.json)",
    )
    .option(
      "--token-file <path>",
      "file holding the bearer token (or env AGENT_RELAY_TOKEN; else the local relay's root token)",
    )
    .option(
      "--token <token>",
      "refused (argv is readable by every local user): use --token-file or AGENT_RELAY_TOKEN",
    );
}

/** Validate one option or argument; the error names it, says the rule and shows the bad value. */
export function parseOption<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ ...i, path: [] }));
  throw new UsageError(
    `${name}: ${describeIssues(issues).replace(/^\(root\): /, "")} (got ${shortValue(value)})`,
  );
}

/** The agent this command acts as: the flag, else AGENT_RELAY_AGENT_ID (set by the runner for its agent). */
export function agentFrom(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  return flag || envText("agentId", env);
}

/** "-" reads the body from stdin; anything else is the body itself. */
export async function readBody(arg: string | undefined, name = "body"): Promise<string> {
  if (arg === undefined) throw new UsageError(`${name} is required ("-" reads it from stdin)`);
  if (arg !== "-") return arg;
  return await new Response(Bun.stdin.stream()).text();
}

export interface ActionContext {
  /** Connects on first use, so option errors are reported before any relay lookup. */
  readonly client: RelayHttpClient;
}

/**
 * Run one CLI action with a lazily built client that is always closed. Errors become one stderr line,
 * "agent-relay-runner <what>: <message>", exit 2 for usage errors and 1 for everything else.
 */
export function clientAction<A extends unknown[]>(
  what: string,
  fn: (ctx: ActionContext, ...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    let client: RelayHttpClient | undefined;
    const cmd = args[args.length - 1] as Command;
    const opts = cmd.opts() as RelayConnectionOptions;
    // Explicit flags win; otherwise an agent's CLI call uses its runner's current credentials.
    const fromRunner =
      opts.relayUrl || opts.token || opts.tokenFile ? undefined : await credentialsFromRunner();
    const ctx: ActionContext = {
      get client() {
        if (!client) {
          const target = fromRunner ?? resolveRelayTarget(opts);
          const urls = target.url.includes(",") ? checkRelayUrls(target.url) : target.url;
          client = new RelayHttpClient({ relayUrl: urls, token: target.token });
        }
        return client;
      },
    };
    try {
      await fn(ctx, ...args);
    } catch (e) {
      printError(`agent-relay-runner ${what}: ${describeFailure(e)}`);
      process.exitCode = e instanceof UsageError ? EXIT_USAGE : EXIT_RELAY;
    } finally {
      await client?.close();
    }
  };
}

function describeFailure(e: unknown): string {
  if (e instanceof UsageError || isRelayClientError(e)) return e.message;
  return errorMessage(e);
}

/** Commander's own parse errors (unknown option, missing argument) exit 2 too, with our one-line prefix. */
export function asClientCommand(cmd: Command, what: string): Command {
  return cmd
    .showHelpAfterError(`(see: agent-relay-runner ${what} --help)`)
    .configureOutput({
      outputError: (str, write) => write(`agent-relay-runner ${what}: ${str.replace(/^error: /, "")}`),
    })
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
    });
}

/** A bad value as shown in an error: quoted, and cut short so a pasted document does not flood the terminal. */
function shortValue(value: unknown): string {
  const shown = JSON.stringify(value) ?? String(value);
  return shown.length > 60 ? `${shown.slice(0, 59)}…` : shown;
}
