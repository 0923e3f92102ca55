// The relay's resource limits per agent and for what it keeps: sessions, send buffers, send rate, attachment
// storage, and how long messages and unused attachments are kept. Defaults here; every one is an option of
// startRelay() (`quotas`), and the relay command takes them as flags with env twins (src/config/relay-options.ts).

export interface RelayQuotas {
  /** Open bus sessions one agent (one instance) may hold; the next hello is refused with close code 4429. */
  maxSessionsPerAgent: number;
  /** Unsent bytes a bus session may hold: a push that does not fit is dropped, logged and the session closed (4408). */
  sessionBufferBytes: number;
  /** A session holding more than `sessionStallBytes` unsent for `sessionStallMs` is closed the same way. */
  sessionStallBytes: number;
  sessionStallMs: number;
  /** Sustained creates (messages, uploads, tasks and task changes, commands, reactions) per second for one agent's runtime token; 0 = no limit. */
  sendRatePerSecond: number;
  /** How many creates may come at once before the rate applies (the token bucket's size). */
  sendBurst: number;
  /** Bytes of attachments one agent may keep stored; 0 = no limit. */
  attachmentQuotaBytes: number;
  /** Messages read (by anyone) or whose claim was completed are deleted this long after they were sent; 0 = kept. */
  retainReadMs: number;
  /** Every message is deleted this long after it was sent, read or not; 0 = kept. */
  retainMs: number;
  /** An attachment no message references is deleted once it is this old. */
  attachmentGraceMs: number;
  /** How often the retention sweep runs. */
  retentionSweepMs: number;
  /** A lease lives this long past its last renewal; the relay renews it while its holder's bus session is open. */
  leaseTtlMs: number;
  /** Live leases one agent may hold; the next acquire is refused (409). */
  maxLeasesPerAgent: number;
}

const MiB = 1024 * 1024;
const DAY = 24 * 3600_000;

export const DEFAULT_QUOTAS: Readonly<RelayQuotas> = Object.freeze({
  maxSessionsPerAgent: 8,
  sessionBufferBytes: 8 * MiB,
  sessionStallBytes: 1 * MiB,
  sessionStallMs: 30_000,
  // The throughput bench posts ~15k msg/s as root, which is exempt; a runner sends a few per turn.
  sendRatePerSecond: 200,
  sendBurst: 2000,
  attachmentQuotaBytes: 256 * MiB,
  retainReadMs: 7 * DAY,
  retainMs: 30 * DAY,
  attachmentGraceMs: 3600_000,
  retentionSweepMs: 10 * 60_000,
  // Three bus heartbeats (30 s each): a runner that died is gone from its worktree within two minutes.
  leaseTtlMs: 90_000,
  maxLeasesPerAgent: 8,
});
