// The relay's store: the one place that chooses an implementation. The relay itself sees only `Store` (types.ts).
import { openStore } from "./sqlite.ts";
import type { Store } from "./types.ts";

export { openStore, type SqliteStore } from "./sqlite.ts";
export type { Store } from "./types.ts";

export interface StoreOptions {
  /** The SQLite file (":memory:" allowed). */
  path: string;
  /** synchronous=FULL instead of NORMAL: survives an OS crash, not just a process kill. */
  durable?: boolean;
}

/** Open the relay's store, schema migrated; SQLite is the only implementation so far. */
export async function createStore(options: StoreOptions): Promise<Store> {
  return openStore(options.path, { durable: options.durable ?? false });
}
