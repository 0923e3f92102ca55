// Chaos helper: relay processes on one database — a SQLite file (WAL lets several open it; the token signing secret
// is in it: a test device) or PostgreSQL (real replicas) — for failover between relays. Each gets its own HOME so none writes another's relay.json.
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { type RelayProcess, spawnRelayProcess } from "../support/relay-process.ts";

const running: RelayProcess[] = [];

/** A relay on `db`: a SQLite file path, or a `postgres://` URL (a replica: relays on one database follow each other). */
export async function startSharedDbRelay(
  dir: string,
  db: string,
  rootToken: string,
): Promise<{ proc: RelayProcess; url: string }> {
  const postgres = db.startsWith("postgres://");
  const proc = spawnRelayProcess(["--port", "0", ...(postgres ? [] : ["--db", db]), "--log-level", "warn"], {
    HOME: mkdtempSync(join(dir, "home-")),
    AGENT_RELAY_ROOT_TOKEN: rootToken,
    ...(postgres ? { AGENT_RELAY_DATABASE_URL: db } : {}),
  });
  running.push(proc);
  return { proc, url: await proc.waitForUrl(15_000) };
}

/** SIGKILL every relay started here that is still running (for afterEach). */
export async function killSharedDbRelays(): Promise<void> {
  for (const r of running.splice(0)) await r.kill();
}
