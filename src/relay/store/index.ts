// The relay's store: the one place that chooses an implementation. The relay itself sees only `Store` (types.ts).
import { openPostgresStore } from "./postgres/index.ts";
import { openStore } from "./sqlite.ts";
import type { Store } from "./types.ts";

export { isPostgresUrl, PostgresOpenError, redactUrl } from "./postgres/index.ts";
export { openStore, type SqliteStore } from "./sqlite.ts";
export type { Store } from "./types.ts";

export interface StoreOptions {
  /** The SQLite file (":memory:" allowed), used when there is no `databaseUrl`. */
  path: string;
  /** synchronous=FULL instead of NORMAL: survives an OS crash, not just a process kill (SQLite only). */
  durable?: boolean;
  /** A `postgres://` URL: the PostgreSQL store instead of SQLite (it may hold a password: never log it). */
  databaseUrl?: string | undefined;
}

/** Open the relay's store, schema migrated: PostgreSQL for a database URL, else the SQLite file. */
export async function createStore(options: StoreOptions): Promise<Store> {
  if (options.databaseUrl !== undefined) return openPostgresStore(options.databaseUrl);
  return openStore(options.path, { durable: options.durable ?? false });
}
