// `agent-relay-runner relay`: run the embedded relay as its own process until SIGINT/SIGTERM.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { z } from "zod";
import { parseDatabaseUrl } from "../config/database-url.ts";
import {
  addEnvTwinOptions,
  type EnvTwinOption,
  flagOrEnv,
  parseRelayQuotas,
  RELAY_QUOTA_OPTIONS,
  RELAY_SERVE_OPTIONS,
  type RelayServeOption,
  relayDefaultText,
} from "../config/relay-options.ts";
import { LOG_LEVELS } from "../config/schema.ts";
import { DEFAULT_RELAY_PORT, type RelayHandle, startRelay } from "../relay/index.ts";
import {
  defaultRelayDbPath,
  defaultRelayInfoPath,
  readRelayInfoFile,
  writeRelayInfoFile,
} from "../relay/local-info.ts";
import type { RelayQuotas } from "../relay/quotas.ts";
import { redactUrl } from "../relay/store/index.ts";
import { errorMessage } from "../util/errors.ts";
import { createLogger, type Logger } from "../util/logger.ts";

/** Each option's rule; the raw text comes from its flag or env twin (RELAY_SERVE_OPTIONS), flags winning. */
const RelayCliOptions = z.object({
  host: z.string().min(1, "must not be empty").default("127.0.0.1"),
  port: z.coerce
    .number({ error: "must be a number" })
    .int("must be an integer")
    .min(0, "must be 0-65535")
    .max(65535, "must be 0-65535")
    .default(DEFAULT_RELAY_PORT),
  uiPort: z.coerce
    .number({ error: "must be a number" })
    .int("must be an integer")
    .min(0, "must be 0-65535")
    .max(65535, "must be 0-65535")
    .optional(),
  notifyUrl: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional(),
  db: z.string().min(1, "must not be empty").optional(),
  rootToken: z.string().min(16, "must be at least 16 characters").optional(),
  logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
  durable: z
    .enum(["true", "false", "1", "0"], { error: "must be true, false, 1 or 0" })
    .default("false")
    .transform((v) => v === "true" || v === "1"),
});
type RelayCliOptions = z.infer<typeof RelayCliOptions>;

const option = (key: RelayServeOption["key"]) => RELAY_SERVE_OPTIONS.find((o) => o.key === key)!;
const twinName = (o: EnvTwinOption) => `${o.flag} / ${o.env}`;

export function registerRelayCommand(program: Command): void {
  const command = program
    .command("relay")
    .description("run the embedded relay (HTTP + WebSocket bus, SQLite store)");
  const defaults = (o: EnvTwinOption) =>
    o.flag === "--port" ? String(DEFAULT_RELAY_PORT) : relayDefaultText(o);
  addEnvTwinOptions(command, RELAY_SERVE_OPTIONS, defaults);
  addEnvTwinOptions(command, RELAY_QUOTA_OPTIONS, defaults);
  command.action(async (flags: Record<string, string | undefined>) => {
    const options = parseRelayCliOptions(flags, process.env);
    const quotas = parseRelayQuotas(flags, process.env);
    const databaseUrl = parseDatabaseUrl(flags, process.env);
    if (!options.ok) return usageError(options.error);
    if (!quotas.ok) return usageError(quotas.error);
    if (!databaseUrl.ok) return usageError(databaseUrl.error);
    if (databaseUrl.value !== undefined && options.value.db !== undefined)
      return usageError("--db (SQLite) and a PostgreSQL database URL exclude each other: give one");
    await runRelay(options.value, quotas.value, databaseUrl.value);
  });
}

function usageError(message: string): never {
  process.stderr.write(`agent-relay-runner relay: ${message}\n`);
  process.exit(2);
}

/** Merge flags over env and validate; the error names the option and what is wrong with it. */
export function parseRelayCliOptions(
  flags: Record<string, string | undefined>,
  env: Record<string, string | undefined>,
): { ok: true; value: RelayCliOptions } | { ok: false; error: string } {
  if (flags.rootToken !== undefined) {
    return {
      ok: false,
      error:
        "--root-token is refused on the command line, where every local user can read it (ps); set AGENT_RELAY_ROOT_TOKEN or pass --root-token-file <path>",
    };
  }
  const tokenFile = flagOrEnv(option("rootTokenFile"), flags, env);
  let fileToken: string | undefined;
  if (tokenFile !== undefined) {
    try {
      fileToken = readFileSync(tokenFile, "utf8").trim();
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? String(e);
      return {
        ok: false,
        error: `invalid ${twinName(option("rootTokenFile"))}: cannot read ${tokenFile}: ${why}`,
      };
    }
  }
  const merged: Record<keyof RelayCliOptions, string | undefined> = {
    host: flagOrEnv(option("host"), flags, env),
    port: flagOrEnv(option("port"), flags, env),
    uiPort: flagOrEnv(option("uiPort"), flags, env),
    notifyUrl: flagOrEnv(option("notifyUrl"), flags, env),
    db: flagOrEnv(option("db"), flags, env),
    // The env twin only: the flag was refused above.
    rootToken: fileToken ?? flagOrEnv(option("rootToken"), {}, env),
    logLevel: flagOrEnv(option("logLevel"), flags, env),
    durable: flagOrEnv(option("durable"), flags, env),
  };
  const parsed = RelayCliOptions.safeParse(merged);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0]!;
  const key = issue.path[0] as keyof RelayCliOptions;
  const name =
    key === "rootToken" ? "--root-token-file / AGENT_RELAY_ROOT_TOKEN(_FILE)" : twinName(option(key));
  const shown =
    merged[key] === undefined ? "" : ` (got '${key === "rootToken" ? "[redacted]" : merged[key]}')`;
  return { ok: false, error: `invalid ${name}: ${issue.message}${shown}` };
}

async function runRelay(
  o: RelayCliOptions,
  quotas: Partial<RelayQuotas>,
  databaseUrl: string | undefined,
): Promise<void> {
  const logger = createLogger({ level: o.logLevel, name: "relay" });
  let relay: RelayHandle;
  try {
    relay = await startRelay({
      host: o.host,
      port: o.port,
      ...(o.uiPort !== undefined ? { uiPort: o.uiPort } : {}),
      ...(o.notifyUrl !== undefined ? { notifyUrl: o.notifyUrl } : {}),
      dbPath: o.db ?? defaultRelayDbPath(),
      ...(databaseUrl !== undefined ? { databaseUrl } : {}),
      // No token given: keep the one relay.json already holds, so a restart does not strand the root token
      // handed to people and scripts (runtime tokens survive anyway: they are signed with the database's secret).
      rootToken: o.rootToken ?? savedRootToken(logger),
      durable: o.durable,
      quotas,
      logger,
    });
  } catch (e) {
    // A taken port, a file that is not a database, a read-only directory: one line naming it, no stack trace.
    process.stderr.write(`agent-relay-runner relay: ${errorMessage(e)}\n`);
    logger.flush();
    process.exit(1);
  }
  process.stdout.write(`relay listening on ${relay.url}\n`);
  if (relay.uiUrl)
    process.stdout.write(`fleet view on ${relay.uiUrl} (sign in with the root or an operator token)\n`);
  if (databaseUrl !== undefined) process.stdout.write(`store: PostgreSQL ${redactUrl(databaseUrl)}\n`);
  process.stdout.write(
    databaseUrl !== undefined
      ? "durability: PostgreSQL's own (its synchronous_commit, backups and replicas)\n"
      : o.durable
        ? "durability: every commit is fsynced (survives power loss)\n"
        : "durability: survives a crash of the relay; an OS crash or power loss can lose the last commits (--durable)\n",
  );
  if (o.rootToken === undefined) {
    const infoPath = defaultRelayInfoPath();
    writeRelayInfoFile(infoPath, { url: relay.url, rootToken: relay.rootToken });
    // The token itself is never printed: it lives in a 0600 file only its owner can read.
    process.stdout.write(`root token written to ${infoPath}\n`);
  }
  if (!isLoopback(o.host)) logger.warn({ host: o.host }, "relay listens on a non-loopback address");
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, "stopping relay");
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  await relay.stop();
  logger.flush();
  process.exit(0);
}

function savedRootToken(logger: Logger): string | undefined {
  try {
    return readRelayInfoFile(defaultRelayInfoPath())?.rootToken;
  } catch (e) {
    // A HOME that cannot hold it is reported once, by the database open that follows; a damaged file is said here.
    if (!(e as NodeJS.ErrnoException).code)
      logger.warn({ err: errorMessage(e) }, "relay.json is not valid: a new root token is generated");
    return undefined;
  }
}

function isLoopback(host: string): boolean {
  return host === "127.0.0.1" || host === "::1" || host === "localhost";
}
