// Runs one contract suite against every store implementation: a fresh SQLite database and a fresh PostgreSQL
// database per test (one throwaway PostgreSQL cluster per test file), so the suites are written once.
//
//   forEachStore((open) => {
//     test("a claim raced by three relays is won once", async () => {
//       const [a, b, c] = await open.shared(3);   // three stores (own connections) on one database
//     });
//   });
import { afterAll, afterEach, beforeAll, describe } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPostgresStore } from "../../../../src/relay/store/postgres/index.ts";
import { openStore } from "../../../../src/relay/store/sqlite.ts";
import type { Store } from "../../../../src/relay/store/types.ts";
import { startPostgres, type TestPostgres } from "../../../support/postgres.ts";

export type StoreKind = "sqlite" | "postgres";

export interface OpenStore {
  /** A store on a fresh, empty database. */
  (): Promise<Store>;
  /** `n` stores on one fresh database, each with its own connection(s): relays sharing a database. */
  shared(n: number): Promise<Store[]>;
}

const KINDS: readonly StoreKind[] = process.env.RELAY_CONTRACT_STORES
  ? (process.env.RELAY_CONTRACT_STORES.split(",") as StoreKind[])
  : ["sqlite", "postgres"];

let databases = 0;

export function forEachStore(suite: (open: OpenStore, kind: StoreKind) => void): void {
  describe.each(KINDS.map((k) => [k]))("%s store", (kind) => {
    let pg: TestPostgres | undefined;
    let dir: string | undefined;
    const opened: Store[] = [];
    const dropped: string[] = [];

    beforeAll(async () => {
      if (kind === "postgres") pg = await startPostgres();
      else dir = mkdtempSync(join(tmpdir(), "relay-contract-"));
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      for (const name of dropped.splice(0)) await pg?.dropDatabase(name);
    });
    afterAll(async () => {
      await pg?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const shared = async (n: number): Promise<Store[]> => {
      const name = `contract_${process.pid}_${++databases}`;
      const stores: Store[] = [];
      if (kind === "postgres") {
        const url = await pg!.createDatabase(name);
        dropped.push(name);
        for (let i = 0; i < n; i++) stores.push(await openPostgresStore(url, { maxConnections: 4 }));
      } else {
        for (let i = 0; i < n; i++) stores.push(openStore(join(dir!, `${name}.db`)));
      }
      opened.push(...stores);
      return stores;
    };
    const open = Object.assign(async () => (await shared(1))[0]!, { shared });
    suite(open, kind);
  });
}

/** A fixed epoch ms the suites count from. */
export const T0 = 1_700_000_000_000;
