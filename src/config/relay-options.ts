// The options of `agent-relay-runner relay`: each a flag with an env twin (the runner's embedded relay reads the
// quotas' env twins). One table per group drives the flags, their help and the flag-over-env merge.
import type { Command } from "commander";
import { DEFAULT_QUOTAS, type RelayQuotas } from "../relay/quotas.ts";
import type { EnvTwinOption } from "./options.ts";

export type { EnvTwinOption };

type Env = Record<string, string | undefined>;

/** How the relay is served: address, store, root token, logging, durability. */
export interface RelayServeOption extends EnvTwinOption {
  key:
    | "host"
    | "port"
    | "uiPort"
    | "notifyUrl"
    | "db"
    | "databaseUrl"
    | "databaseUrlFile"
    | "rootToken"
    | "rootTokenFile"
    | "logLevel"
    | "durable";
  /** The default as help shows it. */
  defaultText?: string;
}

export const RELAY_SERVE_OPTIONS: readonly RelayServeOption[] = [
  {
    key: "host",
    flag: "--host",
    env: "AGENT_RELAY_HOST",
    placeholder: "<host>",
    description: "address to listen on",
    defaultText: "127.0.0.1",
  },
  {
    key: "port",
    flag: "--port",
    env: "AGENT_RELAY_PORT",
    placeholder: "<port>",
    description: "port, 0 for a free one",
  },
  {
    key: "uiPort",
    flag: "--ui-port",
    env: "AGENT_RELAY_UI_PORT",
    placeholder: "<port>",
    description:
      "serve the fleet view (a web page: sign in with the root or an operator token) on this port of --host, 0 for a free one",
    defaultText: "not served",
  },
  {
    key: "notifyUrl",
    flag: "--notify-url",
    env: "AGENT_RELAY_NOTIFY_URL",
    placeholder: "<url>",
    description:
      "POST a JSON notification here when an agent enters needs-input or error, or a task fails (retried with backoff)",
  },
  {
    key: "db",
    flag: "--db",
    env: "AGENT_RELAY_DB",
    placeholder: "<path>",
    description: "SQLite database path",
    defaultText: "~/.agent-relay/relay.db",
  },
  {
    key: "databaseUrl",
    flag: "--database-url",
    env: "AGENT_RELAY_DATABASE_URL",
    placeholder: "<url>",
    // A URL with a password is refused on the command line (ps shows argv to every local user), like --root-token.
    description:
      "keep the relay's state in PostgreSQL (postgres://user@host:5432/db) instead of SQLite; a URL with a password only through the env variable or --database-url-file",
    defaultText: "SQLite (--db)",
  },
  {
    key: "databaseUrlFile",
    flag: "--database-url-file",
    env: "AGENT_RELAY_DATABASE_URL_FILE",
    placeholder: "<path>",
    description: "file holding the PostgreSQL URL (password included), instead of --database-url",
  },
  {
    key: "rootToken",
    flag: "--root-token",
    env: "AGENT_RELAY_ROOT_TOKEN",
    placeholder: "<token>",
    // The flag exists only to be refused with a clear line: argv is readable by every local user (ps).
    description: "refused on the command line: set the env variable or use --root-token-file",
  },
  {
    key: "rootTokenFile",
    flag: "--root-token-file",
    env: "AGENT_RELAY_ROOT_TOKEN_FILE",
    placeholder: "<path>",
    description:
      "file holding the root token (or the token itself in AGENT_RELAY_ROOT_TOKEN); generated and saved to relay.json when absent",
  },
  {
    key: "logLevel",
    flag: "--log-level",
    env: "AGENT_RELAY_LOG_LEVEL",
    placeholder: "<level>",
    description: "log level",
    defaultText: "info",
  },
  {
    key: "durable",
    flag: "--durable",
    env: "AGENT_RELAY_DURABLE",
    description:
      "survive power loss, not only a crash: fsync every commit, synchronous=FULL; the env takes 1, 0, true or false",
  },
];

/** Declare the options on a commander command, each help line naming its env twin and default. */
export function addEnvTwinOptions(
  command: Command,
  options: readonly EnvTwinOption[],
  defaultText: (o: EnvTwinOption) => string | undefined,
): void {
  for (const o of options) {
    const def = defaultText(o);
    command.option(
      o.placeholder ? `${o.flag} ${o.placeholder}` : o.flag,
      `${o.description} (env ${o.env}${def === undefined ? "" : `; default: ${def}`})`,
    );
  }
}

/** The raw text of an option: its flag (commander's parsed key) wins, else its env twin; an empty env is unset. */
export function flagOrEnv(o: EnvTwinOption, flags: Record<string, unknown>, env: Env): string | undefined {
  const flag = flags[flagKey(o.flag)];
  if (flag !== undefined) return String(flag);
  return env[o.env] === "" ? undefined : env[o.env];
}

export interface RelayQuotaOption extends EnvTwinOption {
  key: keyof RelayQuotas;
  /** What one unit of the option is in the quota's own unit (bytes, ms). */
  scale: number;
  /** Smallest value allowed; 0 where 0 means "no limit" or "keep forever". */
  min: number;
}

const MiB = 1024 * 1024;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export const RELAY_QUOTA_OPTIONS: readonly RelayQuotaOption[] = [
  {
    key: "maxSessionsPerAgent",
    flag: "--max-sessions-per-agent",
    env: "AGENT_RELAY_MAX_SESSIONS_PER_AGENT",
    placeholder: "<n>",
    description: "open bus sessions one agent may hold; the next hello is refused (close 4429)",
    scale: 1,
    min: 1,
  },
  {
    key: "sessionBufferBytes",
    flag: "--session-buffer-mib",
    env: "AGENT_RELAY_SESSION_BUFFER_MIB",
    placeholder: "<MiB>",
    description: "unsent frames one bus session may hold before it is closed (4408)",
    scale: MiB,
    min: 1,
  },
  {
    key: "sendRatePerSecond",
    flag: "--send-rate",
    env: "AGENT_RELAY_SEND_RATE",
    placeholder: "<per-second>",
    description:
      "creates (messages, uploads, tasks, commands, reactions) a second per agent token (root exempt; 0: no limit)",
    scale: 1,
    min: 0,
  },
  {
    key: "sendBurst",
    flag: "--send-burst",
    env: "AGENT_RELAY_SEND_BURST",
    placeholder: "<n>",
    description: "how many of those may come at once before the rate applies",
    scale: 1,
    min: 1,
  },
  {
    key: "attachmentQuotaBytes",
    flag: "--attachment-quota-mib",
    env: "AGENT_RELAY_ATTACHMENT_QUOTA_MIB",
    placeholder: "<MiB>",
    description: "attachment storage per agent token (root exempt; 0: no limit)",
    scale: MiB,
    min: 0,
  },
  {
    key: "retainReadMs",
    flag: "--retain-read-days",
    env: "AGENT_RELAY_RETAIN_READ_DAYS",
    placeholder: "<days>",
    description: "delete messages read (or claim-completed) this many days after they were sent (0: keep)",
    scale: DAY,
    min: 0,
  },
  {
    key: "retainMs",
    flag: "--retain-days",
    env: "AGENT_RELAY_RETAIN_DAYS",
    placeholder: "<days>",
    description: "delete every message this many days after it was sent, read or not (0: keep)",
    scale: DAY,
    min: 0,
  },
  {
    key: "attachmentGraceMs",
    flag: "--attachment-grace-minutes",
    env: "AGENT_RELAY_ATTACHMENT_GRACE_MINUTES",
    placeholder: "<minutes>",
    description: "delete attachments no message uses once they are this old",
    scale: MINUTE,
    min: 1,
  },
];

/** The option's default in its own unit, for help text. */
export function quotaDefaultText(o: RelayQuotaOption): string {
  return String(DEFAULT_QUOTAS[o.key] / o.scale);
}

/** The help default of any relay option: a quota's from DEFAULT_QUOTAS, a serve option's from the table. */
export function relayDefaultText(o: EnvTwinOption): string | undefined {
  if ("scale" in o) return quotaDefaultText(o as RelayQuotaOption);
  return (o as RelayServeOption).defaultText;
}

/** Commander's key for a flag: "--send-rate" → "sendRate". */
export function flagKey(flag: string): string {
  return flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * The quotas set by flags (commander's parsed keys) or their env twins, flags winning; an empty env value
 * counts as unset. The error names the option, what is wrong, and the value given.
 */
export function parseRelayQuotas(
  flags: Record<string, unknown>,
  env: Env,
): { ok: true; value: Partial<RelayQuotas> } | { ok: false; error: string } {
  const value: Partial<RelayQuotas> = {};
  for (const o of RELAY_QUOTA_OPTIONS) {
    const raw = flagOrEnv(o, flags, env);
    if (raw === undefined) continue;
    const n = /^\d{1,12}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < o.min) {
      const rule = o.min === 0 ? "a whole number, 0 or more" : `a whole number, ${o.min} or more`;
      return { ok: false, error: `invalid ${o.flag} / ${o.env}: must be ${rule} (got '${raw}')` };
    }
    value[o.key] = n * o.scale;
  }
  return { ok: true, value };
}
