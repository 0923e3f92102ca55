// Which store the relay test suite runs on: SQLite in memory by default, PostgreSQL with RELAY_TEST_STORE=postgres
// (one throwaway cluster for the whole test process, started on first use, a fresh database per relay; the cluster
// goes when the process does, see watchOwner in postgres.ts).
import { startPostgres, type TestPostgres } from "./postgres.ts";

export const TEST_STORE = process.env.RELAY_TEST_STORE === "postgres" ? "postgres" : "sqlite";

let cluster: Promise<TestPostgres> | undefined;
let databases = 0;

/** A fresh PostgreSQL database for one test relay, with its drop; undefined when the suite runs on SQLite. */
export async function testDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  if (TEST_STORE !== "postgres") return undefined;
  cluster ??= startPostgres();
  const pg = await cluster;
  const name = `relay_test_${process.pid}_${++databases}`;
  const url = await pg.createDatabase(name);
  return { url, drop: () => pg.dropDatabase(name) };
}
