// Brings a PostgreSQL database's relay schema up to date on start: one transaction per migration, under a lock.
import type { SQL } from "bun";
import { MIGRATIONS } from "./schema.ts";

// Any fixed number: every relay starting on the same database takes this advisory lock to migrate.
const MIGRATION_LOCK = 7_214_001;

/** The database's schema is newer than this relay knows: an older relay must not write to it. */
export class SchemaTooNewError extends Error {
  readonly code = "SCHEMA_TOO_NEW";
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(`relay database schema v${found} is newer than this relay (v${known}): upgrade the relay`);
    this.name = "SchemaTooNewError";
  }
}

/**
 * Apply every migration past the recorded version, each in its own transaction with its version row. Relays that
 * start together serialise on an advisory lock and read the version inside it, so each migration runs once.
 * Answers the version the schema is at.
 */
export async function migrate(sql: SQL, migrations: readonly string[] = MIGRATIONS): Promise<number> {
  for (;;) {
    const version = await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
      await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`;
      const [row] = await tx`SELECT coalesce(max(version), 0)::int AS v FROM schema_migrations`;
      const v = Number(row.v);
      if (v > migrations.length) throw new SchemaTooNewError(v, migrations.length);
      if (v === migrations.length) return v;
      await tx.unsafe(migrations[v]!);
      await tx`INSERT INTO schema_migrations (version) VALUES (${v + 1})`;
      return -1;
    });
    if (version >= 0) return version;
  }
}
