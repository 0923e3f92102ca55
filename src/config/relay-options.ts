// The relay's quota and retention options: each a flag of `agent-relay-runner relay` with an env twin (the
// runner's embedded relay reads the env twins). One table drives the flags, their help and their parsing.
import { DEFAULT_QUOTAS, type RelayQuotas } from "../relay/quotas.ts";

export interface RelayQuotaOption {
  key: keyof RelayQuotas;
  /** Long flag, e.g. "--send-rate". */
  flag: string;
  env: string;
  placeholder: string;
  description: string;
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
  env: Record<string, string | undefined>,
): { ok: true; value: Partial<RelayQuotas> } | { ok: false; error: string } {
  const value: Partial<RelayQuotas> = {};
  for (const o of RELAY_QUOTA_OPTIONS) {
    const flag = flags[flagKey(o.flag)];
    const raw = flag !== undefined ? String(flag) : env[o.env] === "" ? undefined : env[o.env];
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
